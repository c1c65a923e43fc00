! A Fortran (use mpi) program for checkpoint tests: STEPS ring exchanges of an array through a
! derived datatype, non-blocking with statuses, an Allreduce in place per step and a running
! checksum; "step N" lines (rank 0) let a test pick the checkpoint moment.
program ring
  use mpi
  implicit none
  integer, parameter :: n = 256
  integer :: ierr, rank, nproc, right, left, steps, i, k, quad
  integer :: reqs(2), stats(MPI_STATUS_SIZE, 2)
  integer(kind=8) :: sum
  double precision :: a(n), b(n), g(1)
  character(len=16) :: arg
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  steps = 40
  if (command_argument_count() > 0) then
    call get_command_argument(1, arg)
    read (arg, *) steps
  end if
  right = mod(rank + 1, nproc)
  left = mod(rank + nproc - 1, nproc)
  call MPI_Type_contiguous(4, MPI_DOUBLE_PRECISION, quad, ierr)
  call MPI_Type_commit(quad, ierr)
  a = rank + 1.0d0
  sum = 0
  do i = 1, steps
    call MPI_Irecv(b, n / 4, quad, left, i, MPI_COMM_WORLD, reqs(1), ierr)
    call MPI_Isend(a, n / 4, quad, right, i, MPI_COMM_WORLD, reqs(2), ierr)
    call MPI_Waitall(2, reqs, stats, ierr)
    if (stats(MPI_SOURCE, 1) /= left .or. stats(MPI_TAG, 1) /= i) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
    do k = 1, n
      a(k) = 0.5d0 * a(k) + 0.25d0 * b(k) + 1d-3 * mod(k, 7)
    end do
    g(1) = 0
    do k = 1, n
      g(1) = g(1) + a(k)
    end do
    call MPI_Allreduce(MPI_IN_PLACE, g, 1, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD, ierr)
    sum = mod(sum * 1099511_8 + int(g(1) * 1d6, 8), 1000000007_8)
    if (rank == 0) then
      print '(a,i0,1x,f0.6)', 'step ', i, g(1)
      flush (6)
    end if
    call usleep_f(50000)
  end do
  call MPI_Type_free(quad, ierr)
  if (rank == 0) print '(a,i0)', 'done ', sum
  call MPI_Finalize(ierr)
contains
  subroutine usleep_f(us)
    use iso_c_binding
    integer, intent(in) :: us
    interface
      integer(c_int) function usleep(u) bind(c)
        import c_int
        integer(c_int), value :: u
      end function
    end interface
    integer(c_int) :: r
    r = usleep(int(us, c_int))
  end subroutine
end program
