! test: Fortran `use mpi`: one-sided from Fortran: Win_create over an array, fence epochs with Put and Accumulate, Get after a fence, lock/unlock, Win_get_attr MPI_WIN_DISP_UNIT, Win_free giving MPI_WIN_NULL
! ranks: 2 4
! env: OMPI_MCA_btl_vader_single_copy_mechanism=cma
program f_rma
  use mpi
  implicit none
  integer :: ierr, rank, nproc, win, right, left, i, flag
  integer :: buf(8), got(8), src(8)
  integer(kind=MPI_ADDRESS_KIND) :: wsize, disp, unit
  logical :: found
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  right = mod(rank + 1, nproc)
  left = mod(rank + nproc - 1, nproc)
  buf = 0
  wsize = 8 * 4
  call MPI_Win_create(buf, wsize, 4, MPI_INFO_NULL, MPI_COMM_WORLD, win, ierr)
  call MPI_Win_get_attr(win, MPI_WIN_DISP_UNIT, unit, found, ierr)
  do i = 1, 8
    src(i) = rank * 100 + i
  end do
  call MPI_Win_fence(0, win, ierr)
  disp = 0
  call MPI_Put(src, 4, MPI_INTEGER, right, disp, 4, MPI_INTEGER, win, ierr)
  disp = 4
  call MPI_Accumulate(src(5), 4, MPI_INTEGER, right, disp, 4, MPI_INTEGER, MPI_SUM, win, ierr)
  call MPI_Accumulate(src(5), 4, MPI_INTEGER, left, disp, 4, MPI_INTEGER, MPI_SUM, win, ierr)
  call MPI_Win_fence(0, win, ierr)
  got = -1
  disp = 0
  call MPI_Win_lock(MPI_LOCK_SHARED, left, 0, win, ierr)
  call MPI_Get(got, 8, MPI_INTEGER, left, disp, 8, MPI_INTEGER, win, ierr)
  call MPI_Win_unlock(left, win, ierr)
  call MPI_Win_free(win, ierr)
  flag = 0
  if (win == MPI_WIN_NULL) flag = 1
  if (rank == 0) then
    print '(A,8I6)', 'buf ', buf
    print '(A,8I6)', 'got ', got
    print '(A,I0,A,L1,A,I0)', 'disp_unit ', unit, ' found ', found, ' null after free ', flag
  end if
  call MPI_Finalize(ierr)
end program f_rma
