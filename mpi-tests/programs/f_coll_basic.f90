! test: Fortran use mpi: Bcast, Reduce, Allreduce (INTEGER, DOUBLE PRECISION, LOGICAL with LAND/LOR, MAXLOC with 2INTEGER), Gather, Scatter, Allgather, Alltoall, Scan, Barrier
! ranks: 1 2 4
program f_coll_basic
  use mpi
  implicit none
  integer :: ierr, rank, nproc, i, isum, imax, iscan
  integer, allocatable :: g(:), a2a_s(:), a2a_r(:)
  integer :: pair(2), best(2), sc(2)
  double precision :: x, xsum, v(3)
  logical :: l, land, lor
  character(len=12) :: word
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  allocate(g(2 * nproc), a2a_s(nproc), a2a_r(nproc))
  word = ' '
  v = 0
  if (rank == 0) then
    word = 'fortran-bcst'
    v = (/1.25d0, 2.5d0, 3.75d0/)
  end if
  call MPI_Bcast(word, 12, MPI_CHARACTER, 0, MPI_COMM_WORLD, ierr)
  call MPI_Bcast(v, 3, MPI_DOUBLE_PRECISION, 0, MPI_COMM_WORLD, ierr)
  x = v(2) * (rank + 1)
  call MPI_Allreduce(x, xsum, 1, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD, ierr)
  call MPI_Reduce(rank, imax, 1, MPI_INTEGER, MPI_MAX, 0, MPI_COMM_WORLD, ierr)
  l = rank < nproc
  call MPI_Allreduce(l, land, 1, MPI_LOGICAL, MPI_LAND, MPI_COMM_WORLD, ierr)
  l = rank == nproc - 1
  call MPI_Allreduce(l, lor, 1, MPI_LOGICAL, MPI_LOR, MPI_COMM_WORLD, ierr)
  pair = (/mod(rank * 7, 5), rank/)
  call MPI_Allreduce(pair, best, 1, MPI_2INTEGER, MPI_MAXLOC, MPI_COMM_WORLD, ierr)
  call MPI_Gather((/rank, rank * rank/), 2, MPI_INTEGER, g, 2, MPI_INTEGER, 0, MPI_COMM_WORLD, ierr)
  if (rank == 0) then
    print '(a,a)', 'bcast ', word
    print '(a,f10.3)', 'allreduce sum ', xsum
    print '(a,i0,a,l1,a,l1)', 'max ', imax, ' land ', land, ' lor ', lor
    print '(a,i0,a,i0)', 'maxloc ', best(1), ' at ', best(2)
    print '(a,100(1x,i0))', 'gather', g
  end if
  do i = 1, 2 * nproc
    g(i) = 10 * i
  end do
  call MPI_Scatter(g, 2, MPI_INTEGER, sc, 2, MPI_INTEGER, 0, MPI_COMM_WORLD, ierr)
  if (sc(1) /= 20 * rank + 10 .or. sc(2) /= 20 * rank + 20) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  call MPI_Allgather(rank + 1, 1, MPI_INTEGER, a2a_r, 1, MPI_INTEGER, MPI_COMM_WORLD, ierr)
  isum = sum(a2a_r)
  do i = 1, nproc
    a2a_s(i) = rank * 100 + (i - 1)
  end do
  call MPI_Alltoall(a2a_s, 1, MPI_INTEGER, a2a_r, 1, MPI_INTEGER, MPI_COMM_WORLD, ierr)
  do i = 1, nproc
    if (a2a_r(i) /= (i - 1) * 100 + rank) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  end do
  call MPI_Scan(rank + 1, iscan, 1, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD, ierr)
  if (iscan /= (rank + 1) * (rank + 2) / 2) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
  call MPI_Barrier(MPI_COMM_WORLD, ierr)
  if (rank == 0) print '(a,i0,a,i0)', 'np ', nproc, ' allgather sum ', isum
  call MPI_Finalize(ierr)
end program
