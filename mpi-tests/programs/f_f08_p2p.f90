! test: Fortran use mpi_f08: type(MPI_Comm)/MPI_Request/MPI_Status, Isend/Irecv/Waitall, status%MPI_SOURCE/MPI_TAG, Get_count, Sendrecv with MPI_STATUS_IGNORE, Mprobe/Mrecv, optional ierror
! ranks: 1 2 4
program f_f08_p2p
  use mpi_f08
  implicit none
  integer :: rank, nproc, right, left, cnt, i
  type(MPI_Request) :: reqs(2)
  type(MPI_Status) :: st(2), s1
  type(MPI_Message) :: msg
  real :: sbuf(6), rbuf(6)
  integer :: a, b
  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc)
  right = mod(rank + 1, nproc)
  left = mod(rank + nproc - 1, nproc)
  sbuf = (/(rank + i * 0.5, i = 1, 6)/)
  call MPI_Irecv(rbuf, 6, MPI_REAL, left, 3, MPI_COMM_WORLD, reqs(1))
  call MPI_Isend(sbuf, 6, MPI_REAL, right, 3, MPI_COMM_WORLD, reqs(2))
  call MPI_Waitall(2, reqs, st)
  call MPI_Get_count(st(1), MPI_REAL, cnt)
  if (st(1)%MPI_SOURCE /= left .or. st(1)%MPI_TAG /= 3 .or. cnt /= 6) call MPI_Abort(MPI_COMM_WORLD, 1)
  if (reqs(1) /= MPI_REQUEST_NULL) call MPI_Abort(MPI_COMM_WORLD, 2)
  a = rank
  call MPI_Sendrecv(a, 1, MPI_INTEGER, right, 4, b, 1, MPI_INTEGER, left, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE)
  if (b /= left) call MPI_Abort(MPI_COMM_WORLD, 3)
  ! matched probe: the message is ours to receive whatever else arrives
  call MPI_Isend(rank * 3, 1, MPI_INTEGER, right, 8, MPI_COMM_WORLD, reqs(1))
  call MPI_Mprobe(left, 8, MPI_COMM_WORLD, msg, s1)
  call MPI_Mrecv(b, 1, MPI_INTEGER, msg, s1)
  call MPI_Wait(reqs(1), MPI_STATUS_IGNORE)
  if (b /= left * 3 .or. s1%MPI_SOURCE /= left .or. msg /= MPI_MESSAGE_NULL) call MPI_Abort(MPI_COMM_WORLD, 4)
  call MPI_Reduce(rbuf(6), sbuf(1), 1, MPI_REAL, MPI_SUM, 0, MPI_COMM_WORLD)
  if (rank == 0) print '(a,i0,a,f8.2)', 'np ', nproc, ' f08 ring sum ', sbuf(1)
  call MPI_Finalize()
end program
