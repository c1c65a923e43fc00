! test: Fortran `use mpi`: errhandlers written in Fortran: Comm_create_errhandler + Comm_set_errhandler + Comm_call_errhandler, a real error (send to an invalid rank) raised through it, Win_create_errhandler + Win_call_errhandler; the handler gets its object as a Fortran handle
! ranks: 2
! env: OMPI_MCA_btl_vader_single_copy_mechanism=cma
module f_eh_state
  implicit none
  integer :: calls = 0, last_code = 0, comm_ok = 0, win_calls = 0, win_ok = 0
  integer :: expect_comm, expect_win
end module f_eh_state

subroutine comm_handler(comm, code)
  use mpi
  use f_eh_state
  implicit none
  integer :: comm, code
  calls = calls + 1
  last_code = code
  if (comm == expect_comm) comm_ok = comm_ok + 1
end subroutine comm_handler

subroutine win_handler(win, code)
  use mpi
  use f_eh_state
  implicit none
  integer :: win, code
  win_calls = win_calls + 1
  if (win == expect_win .and. code == MPI_ERR_OTHER) win_ok = win_ok + 1
end subroutine win_handler

program f_errhandler
  use mpi
  use f_eh_state
  implicit none
  external :: comm_handler, win_handler
  integer :: ierr, rank, nproc, dup, eh, weh, win, cls, buf(4)
  integer(kind=MPI_ADDRESS_KIND) :: wsize
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  call MPI_Comm_dup(MPI_COMM_WORLD, dup, ierr)
  expect_comm = dup
  call MPI_Comm_create_errhandler(comm_handler, eh, ierr)
  call MPI_Comm_set_errhandler(dup, eh, ierr)
  call MPI_Comm_call_errhandler(dup, MPI_ERR_OTHER, ierr)
  call MPI_Send(buf, 1, MPI_INTEGER, nproc + 5, 0, dup, ierr)
  call MPI_Error_class(last_code, cls, ierr)
  wsize = 16
  call MPI_Win_create(buf, wsize, 4, MPI_INFO_NULL, MPI_COMM_WORLD, win, ierr)
  expect_win = win
  call MPI_Win_create_errhandler(win_handler, weh, ierr)
  call MPI_Win_set_errhandler(win, weh, ierr)
  call MPI_Win_call_errhandler(win, MPI_ERR_OTHER, ierr)
  call MPI_Win_free(win, ierr)
  call MPI_Errhandler_free(weh, ierr)
  call MPI_Errhandler_free(eh, ierr)
  call MPI_Comm_free(dup, ierr)
  if (rank == 0) then
    print '(A,I0,A,I0,A,L1,A,I0,A,I0)', 'comm calls ', calls, ' with its comm ', comm_ok, &
      ' rank error ', cls == MPI_ERR_RANK, ' win calls ', win_calls, ' with its win ', win_ok
  end if
  call MPI_Finalize(ierr)
end program f_errhandler
