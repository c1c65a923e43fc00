! test: Fortran `use mpi`: keyvals with copy and delete functions written in Fortran (Comm_create_keyval, set_attr, Comm_dup copies through the Fortran copy function, Comm_free and delete_attr through the delete function, extra_state counted), and MPI_COMM_DUP_FN / MPI_COMM_NULL_COPY_FN / MPI_COMM_NULL_DELETE_FN; a Type keyval too
! ranks: 1 2
module f_kv_state
  implicit none
  integer :: ncopy = 0, ndel = 0
  integer(kind=8) :: lastdel = 0
end module f_kv_state

subroutine my_copy(oldcomm, keyval, extra, valin, valout, flag, ierr)
  use mpi
  use f_kv_state
  implicit none
  integer :: oldcomm, keyval, ierr
  integer(kind=MPI_ADDRESS_KIND) :: extra, valin, valout
  logical :: flag
  ncopy = ncopy + 1
  valout = valin + 1000 + extra
  flag = .true.
  ierr = MPI_SUCCESS
end subroutine my_copy

subroutine my_delete(comm, keyval, val, extra, ierr)
  use mpi
  use f_kv_state
  implicit none
  integer :: comm, keyval, ierr
  integer(kind=MPI_ADDRESS_KIND) :: val, extra
  ndel = ndel + 1
  lastdel = val
  ierr = MPI_SUCCESS
end subroutine my_delete

subroutine type_copy(oldtype, keyval, extra, valin, valout, flag, ierr)
  use mpi
  use f_kv_state
  implicit none
  integer :: oldtype, keyval, ierr
  integer(kind=MPI_ADDRESS_KIND) :: extra, valin, valout
  logical :: flag
  ncopy = ncopy + 100
  valout = valin * 2
  flag = .true.
  ierr = MPI_SUCCESS
end subroutine type_copy

program f_keyval
  use mpi
  use f_kv_state
  implicit none
  external :: my_copy, my_delete, type_copy
  integer :: ierr, rank, kv, kvdup, kvnull, tkv, dup, dup2, dup3, tdup
  integer(kind=MPI_ADDRESS_KIND) :: val, got, extra
  logical :: found, found2, found3
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  extra = 7
  call MPI_Comm_create_keyval(my_copy, my_delete, kv, extra, ierr)
  call MPI_Comm_create_keyval(MPI_COMM_DUP_FN, MPI_COMM_NULL_DELETE_FN, kvdup, extra, ierr)
  call MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, kvnull, extra, ierr)
  val = 42
  call MPI_Comm_set_attr(MPI_COMM_WORLD, kv, val, ierr)
  val = 5
  call MPI_Comm_set_attr(MPI_COMM_WORLD, kvdup, val, ierr)
  call MPI_Comm_set_attr(MPI_COMM_WORLD, kvnull, val, ierr)
  call MPI_Comm_dup(MPI_COMM_WORLD, dup, ierr)
  call MPI_Comm_get_attr(dup, kv, got, found, ierr)
  if (rank == 0) print '(A,L1,A,I0,A,I0)', 'copied ', found, ' value ', got, ' copies ', ncopy
  call MPI_Comm_get_attr(dup, kvdup, got, found2, ierr)
  call MPI_Comm_get_attr(dup, kvnull, got, found3, ierr)
  if (rank == 0) print '(A,L1,A,L1)', 'dup_fn kept ', found2, ' null_copy kept ', found3
  call MPI_Comm_dup(dup, dup2, ierr)
  call MPI_Comm_get_attr(dup2, kv, got, found, ierr)
  if (rank == 0) print '(A,I0)', 'second copy ', got
  call MPI_Comm_delete_attr(dup2, kv, ierr)
  if (rank == 0) print '(A,I0,A,I0)', 'deleted ', ndel, ' last ', lastdel
  call MPI_Comm_free(dup, ierr)
  call MPI_Comm_free(dup2, ierr)
  if (rank == 0) print '(A,I0,A,I0)', 'after frees deleted ', ndel, ' last ', lastdel
  call MPI_Comm_dup(MPI_COMM_WORLD, dup3, ierr)
  call MPI_Comm_free(dup3, ierr)
  call MPI_Type_create_keyval(type_copy, MPI_TYPE_NULL_DELETE_FN, tkv, extra, ierr)
  val = 21
  call MPI_Type_set_attr(MPI_INTEGER, tkv, val, ierr)
  call MPI_Type_dup(MPI_INTEGER, tdup, ierr)
  call MPI_Type_get_attr(tdup, tkv, got, found, ierr)
  if (rank == 0) print '(A,L1,A,I0,A,I0)', 'type copied ', found, ' value ', got, ' copies ', ncopy
  call MPI_Type_free(tdup, ierr)
  call MPI_Type_delete_attr(MPI_INTEGER, tkv, ierr)
  call MPI_Type_free_keyval(tkv, ierr)
  call MPI_Comm_delete_attr(MPI_COMM_WORLD, kv, ierr)
  call MPI_Comm_free_keyval(kv, ierr)
  call MPI_Comm_free_keyval(kvdup, ierr)
  call MPI_Comm_free_keyval(kvnull, ierr)
  if (rank == 0) print '(A,I0,A,I0)', 'end deleted ', ndel, ' copies ', ncopy
  call MPI_Finalize(ierr)
end program f_keyval
