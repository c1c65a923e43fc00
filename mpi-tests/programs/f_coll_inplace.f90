! test: Fortran mpif.h: MPI_IN_PLACE in Allreduce, Reduce at the root, Gather at the root, Allgather, Alltoall; MPI_BOTTOM with absolute addresses
! ranks: 1 2 4
program f_coll_inplace
  implicit none
  include 'mpif.h'
  integer :: ierr, rank, nproc, i, root, dummy(1), t
  integer :: x(2), y
  integer, allocatable :: a(:)
  integer(kind=MPI_ADDRESS_KIND) :: addr
  integer :: disp(1), blen(1), abs_type
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  allocate(a(2 * nproc))
  root = nproc - 1
  x = (/rank + 1, 2 * (rank + 1)/)
  call MPI_Allreduce(MPI_IN_PLACE, x, 2, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD, ierr)
  y = rank + 1
  if (rank == root) then
    call MPI_Reduce(MPI_IN_PLACE, y, 1, MPI_INTEGER, MPI_PROD, root, MPI_COMM_WORLD, ierr)
  else
    call MPI_Reduce(y, dummy, 1, MPI_INTEGER, MPI_PROD, root, MPI_COMM_WORLD, ierr)
  end if
  a = -1
  if (rank == root) then
    a(2 * root + 1) = 7 * root
    a(2 * root + 2) = 7 * root + 1
    call MPI_Gather(MPI_IN_PLACE, 2, MPI_INTEGER, a, 2, MPI_INTEGER, root, MPI_COMM_WORLD, ierr)
    do i = 0, nproc - 1
      if (a(2 * i + 1) /= 7 * i .or. a(2 * i + 2) /= 7 * i + 1) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
    end do
  else
    call MPI_Gather((/7 * rank, 7 * rank + 1/), 2, MPI_INTEGER, dummy, 2, MPI_INTEGER, root, MPI_COMM_WORLD, ierr)
  end if
  a = 0
  a(2 * rank + 1) = rank
  a(2 * rank + 2) = -rank
  call MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, a, 2, MPI_INTEGER, MPI_COMM_WORLD, ierr)
  do i = 0, nproc - 1
    if (a(2 * i + 1) /= i .or. a(2 * i + 2) /= -i) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  end do
  do i = 1, nproc
    a(i) = rank * 10 + i - 1
  end do
  call MPI_Alltoall(MPI_IN_PLACE, 1, MPI_INTEGER, a, 1, MPI_INTEGER, MPI_COMM_WORLD, ierr)
  t = sum(a(1:nproc))
  ! a datatype of absolute addresses, used from MPI_BOTTOM
  call MPI_Get_address(y, addr, ierr)
  blen(1) = 1
  call MPI_Type_create_hindexed(1, blen, (/addr/), MPI_INTEGER, abs_type, ierr)
  call MPI_Type_commit(abs_type, ierr)
  if (rank == root) y = 4242
  call MPI_Bcast(MPI_BOTTOM, 1, abs_type, root, MPI_COMM_WORLD, ierr)
  call MPI_Type_free(abs_type, ierr)
  disp(1) = 0
  if (rank == 0) then
    print '(a,i0,a,i0,a,i0)', 'np ', nproc, ' allreduce in place ', x(1), ' ', x(2)
    print '(a,i0)', 'alltoall in place column sum ', t
    print '(a,i0)', 'bcast from MPI_BOTTOM ', y
  end if
  call MPI_Reduce(y, x(1), 1, MPI_INTEGER, MPI_SUM, 0, MPI_COMM_WORLD, ierr)
  if (rank == 0) print '(a,i0)', 'sum of y ', x(1)
  call MPI_Finalize(ierr)
end program
