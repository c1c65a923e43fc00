! test: Fortran use mpi: Isend/Irecv, Waitall with a statuses array, Waitany (index and status), Testall, MPI_STATUSES_IGNORE, MPI_REQUEST_NULL, Issend+Test
! ranks: 1 2 4
program f_p2p_nonblocking
  use mpi
  implicit none
  integer :: ierr, rank, nproc, i, idx, src, cnt, sum0
  integer :: reqs(8), stats(MPI_STATUS_SIZE, 8), st(MPI_STATUS_SIZE)
  integer :: sbuf(4, 4), rbuf(4, 4)
  logical :: flag
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  ! two neighbours each way, posted receives first
  do i = 1, 4
    sbuf(:, i) = rank * 1000 + i * 10 + (/1, 2, 3, 4/)
  end do
  rbuf = -1
  call MPI_Irecv(rbuf(1, 1), 4, MPI_INTEGER, mod(rank + nproc - 1, nproc), 1, MPI_COMM_WORLD, reqs(1), ierr)
  call MPI_Irecv(rbuf(1, 2), 4, MPI_INTEGER, mod(rank + 1, nproc), 2, MPI_COMM_WORLD, reqs(2), ierr)
  call MPI_Isend(sbuf(1, 1), 4, MPI_INTEGER, mod(rank + 1, nproc), 1, MPI_COMM_WORLD, reqs(3), ierr)
  call MPI_Isend(sbuf(1, 2), 4, MPI_INTEGER, mod(rank + nproc - 1, nproc), 2, MPI_COMM_WORLD, reqs(4), ierr)
  call MPI_Waitall(4, reqs, stats, ierr)
  if (stats(MPI_SOURCE, 1) /= mod(rank + nproc - 1, nproc) .or. stats(MPI_TAG, 2) /= 2) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  do i = 1, 4
    if (reqs(i) /= MPI_REQUEST_NULL) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  end do
  if (rbuf(2, 1) /= mod(rank + nproc - 1, nproc) * 1000 + 12) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
  ! Waitany over receives from everyone at rank 0
  if (rank == 0) then
    sum0 = 0
    do i = 1, nproc - 1
      call MPI_Irecv(rbuf(1, i), 4, MPI_INTEGER, i, 5, MPI_COMM_WORLD, reqs(i), ierr)
    end do
    do i = 1, nproc - 1
      call MPI_Waitany(nproc - 1, reqs, idx, st, ierr)
      src = st(MPI_SOURCE)
      call MPI_Get_count(st, MPI_INTEGER, cnt, ierr)
      if (idx /= src .or. cnt /= 4 .or. reqs(idx) /= MPI_REQUEST_NULL) call MPI_Abort(MPI_COMM_WORLD, 4, ierr)
      sum0 = sum0 + rbuf(4, idx)
    end do
    print '(a,i0)', 'waitany sum ', sum0
  else
    call MPI_Isend(sbuf(1, 3), 4, MPI_INTEGER, 0, 5, MPI_COMM_WORLD, reqs(1), ierr)
    call MPI_Wait(reqs(1), MPI_STATUS_IGNORE, ierr)
  end if
  ! Issend completes only once matched; Testall with STATUSES_IGNORE
  call MPI_Irecv(rbuf(1, 4), 4, MPI_INTEGER, mod(rank + nproc - 1, nproc), 9, MPI_COMM_WORLD, reqs(1), ierr)
  call MPI_Issend(sbuf(1, 4), 4, MPI_INTEGER, mod(rank + 1, nproc), 9, MPI_COMM_WORLD, reqs(2), ierr)
  flag = .false.
  do while (.not. flag)
    call MPI_Testall(2, reqs, flag, MPI_STATUSES_IGNORE, ierr)
  end do
  call MPI_Allreduce(rbuf(1, 4), cnt, 1, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD, ierr)
  if (rank == 0) print '(a,i0,a,i0)', 'np ', nproc, ' issend sum ', cnt
  call MPI_Finalize(ierr)
end program
