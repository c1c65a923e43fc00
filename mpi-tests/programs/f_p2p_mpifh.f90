! test: Fortran mpif.h: Send/Recv ring, Sendrecv, ANY_SOURCE/ANY_TAG with a status array, Get_count, Probe, MPI_STATUS_IGNORE, PROC_NULL
! ranks: 1 2 4
program f_p2p_mpifh
  implicit none
  include 'mpif.h'
  integer :: ierr, rank, nproc, right, left, i, cnt, tot
  integer :: status(MPI_STATUS_SIZE)
  integer :: sbuf(8), rbuf(8)
  double precision :: d(5), e(5)
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  right = mod(rank + 1, nproc)
  left = mod(rank + nproc - 1, nproc)
  do i = 1, 8
    sbuf(i) = 100 * rank + i
  end do
  ! ring with Sendrecv; the status says who sent it and how much
  call MPI_Sendrecv(sbuf, 8, MPI_INTEGER, right, 7, rbuf, 8, MPI_INTEGER, left, 7, &
                    MPI_COMM_WORLD, status, ierr)
  call MPI_Get_count(status, MPI_INTEGER, cnt, ierr)
  if (status(MPI_SOURCE) /= left .or. status(MPI_TAG) /= 7 .or. cnt /= 8 .or. rbuf(3) /= 100 * left + 3) then
    print *, 'rank', rank, 'sendrecv status wrong', status(MPI_SOURCE), status(MPI_TAG), cnt
    call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  end if
  ! everyone sends to 0, which takes them in any order
  if (rank /= 0) then
    d = rank * 1.5d0
    call MPI_Send(d, rank, MPI_DOUBLE_PRECISION, 0, 10 + rank, MPI_COMM_WORLD, ierr)
  else
    tot = 0
    do i = 1, nproc - 1
      call MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, status, ierr)
      call MPI_Get_count(status, MPI_DOUBLE_PRECISION, cnt, ierr)
      if (cnt /= status(MPI_SOURCE) .or. status(MPI_TAG) /= 10 + status(MPI_SOURCE)) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
      e = 0
      call MPI_Recv(e, 5, MPI_DOUBLE_PRECISION, status(MPI_SOURCE), MPI_ANY_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierr)
      tot = tot + int(e(1) * 2)
    end do
    print '(a,i0)', 'gathered by any-source: ', tot
  end if
  ! PROC_NULL: completes at once with source PROC_NULL and count 0
  call MPI_Recv(rbuf, 8, MPI_INTEGER, MPI_PROC_NULL, 3, MPI_COMM_WORLD, status, ierr)
  call MPI_Get_count(status, MPI_INTEGER, cnt, ierr)
  if (status(MPI_SOURCE) /= MPI_PROC_NULL .or. cnt /= 0) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
  call MPI_Reduce(rbuf(1), tot, 1, MPI_INTEGER, MPI_SUM, 0, MPI_COMM_WORLD, ierr)
  if (rank == 0) print '(a,i0,a,i0)', 'np ', nproc, ' ring sum ', tot
  call MPI_Finalize(ierr)
end program
