! test: Fortran mpif.h: strings and logicals across the binding: Initialized/Finalized, Get_version, Get_processor_name, Info_set/get (flag), Comm_set_errhandler MPI_ERRORS_RETURN + Error_class + Error_string, Wtime/Wtick, Comm_get_attr MPI_TAG_UB, Type_get_name
! ranks: 1 2
program f_misc
  implicit none
  include 'mpif.h'
  integer :: ierr, rank, nproc, ver, sub, info, nlen, cls, rc
  logical :: flag, init, fin
  character(len=MPI_MAX_PROCESSOR_NAME) :: host
  character(len=64) :: val
  character(len=MPI_MAX_ERROR_STRING) :: estr
  character(len=MPI_MAX_OBJECT_NAME) :: tname
  integer(kind=MPI_ADDRESS_KIND) :: tagub
  double precision :: t0, t1
  call MPI_Initialized(init, ierr)
  call MPI_Init(ierr)
  call MPI_Initialized(flag, ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  call MPI_Get_version(ver, sub, ierr)
  call MPI_Get_processor_name(host, nlen, ierr)
  if (nlen < 1 .or. nlen > MPI_MAX_PROCESSOR_NAME) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  call MPI_Info_create(info, ierr)
  call MPI_Info_set(info, 'color', 'blue', ierr)
  call MPI_Info_get(info, 'color', 64, val, flag, ierr)
  if (.not. flag .or. val /= 'blue') call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  call MPI_Info_get(info, 'shape', 64, val, flag, ierr)
  if (flag) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
  call MPI_Info_free(info, ierr)
  if (info /= MPI_INFO_NULL) call MPI_Abort(MPI_COMM_WORLD, 4, ierr)
  ! an error returned, not fatal
  call MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN, ierr)
  call MPI_Send(rank, 1, MPI_INTEGER, nproc + 5, 0, MPI_COMM_WORLD, rc)
  call MPI_Error_class(rc, cls, ierr)
  call MPI_Error_string(rc, estr, nlen, ierr)
  if (nlen < 1) call MPI_Abort(MPI_COMM_WORLD, 5, ierr)
  call MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL, ierr)
  call MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, tagub, flag, ierr)
  if (.not. flag .or. tagub < 32767) call MPI_Abort(MPI_COMM_WORLD, 6, ierr)
  call MPI_Type_get_name(MPI_INTEGER, tname, nlen, ierr)
  t0 = MPI_Wtime()
  t1 = MPI_Wtime()
  if (t1 < t0 .or. MPI_Wtick() <= 0) call MPI_Abort(MPI_COMM_WORLD, 7, ierr)
  if (rank == 0) then
    print '(a,l1,a,l1)', 'initialized before ', init, ' after ', flag
    print '(a,i0,a,i0)', 'np ', nproc, ' version>=3 ', merge(1, 0, ver >= 3)
    print '(a,l1)', 'bad rank is MPI_ERR_RANK ', cls == MPI_ERR_RANK
    print '(a,a)', 'type name ', tname(1:nlen)
  end if
  call MPI_Finalize(ierr)
  call MPI_Finalized(fin, ierr)
  if (rank == 0) print '(a,l1)', 'finalized ', fin
end program
