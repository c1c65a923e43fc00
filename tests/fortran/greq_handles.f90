! For checkpoint tests (use mpi, with greq_handles.c): a generalized request with Fortran
! callbacks started before the checkpoint and completed after the restart, and Fortran handles
! of user objects (a communicator, a datatype, an operation, the request) that keep their values,
! are non-negative in an Open MPI build (MPI_COMM_WORLD is 0 there) and survive MPI_*_f2c/c2f
! in C; "step N" lines (rank 0) let a test pick the checkpoint moment.
module greq_state
  implicit none
  integer :: nquery = 0, nfree = 0
end module greq_state

subroutine query(extra, status, ierr)
  use mpi
  use greq_state
  implicit none
  integer(kind=MPI_ADDRESS_KIND) :: extra
  integer :: status(MPI_STATUS_SIZE), ierr
  nquery = nquery + 1
  call MPI_Status_set_elements(status, MPI_INTEGER, int(extra), ierr)
  status(MPI_TAG) = 99
  ierr = MPI_SUCCESS
end subroutine query

subroutine free_fn(extra, ierr)
  use greq_state
  implicit none
  integer(kind=8) :: extra
  integer :: ierr
  nfree = nfree + 1
  extra = -extra
  ierr = 0
end subroutine free_fn

subroutine cancel_fn(extra, complete, ierr)
  implicit none
  integer(kind=8) :: extra
  logical :: complete
  integer :: ierr
  ierr = 0
end subroutine cancel_fn

subroutine add(invec, inoutvec, len, datatype)
  implicit none
  integer :: len, datatype, i
  integer :: invec(len), inoutvec(len)
  do i = 1, len
    inoutvec(i) = inoutvec(i) + invec(i) + 1
  end do
end subroutine add

program greq_handles
  use mpi
  use greq_state
  implicit none
  external :: query, free_fn, cancel_fn, add
  integer :: ierr, rank, nproc, steps, i, dup, vec, op, req, hdup, hvec, hop, hreq, x, y, count
  integer :: status(MPI_STATUS_SIZE)
  integer(kind=MPI_ADDRESS_KIND) :: extra
  logical :: ompi, ok
  character(len=16) :: arg
  interface
    integer(c_int) function roundtrip_c(comm, type, op, req, size) bind(c)
      use iso_c_binding
      integer(c_int) :: comm, type, op, req, size
    end function
  end interface
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  steps = 40
  if (command_argument_count() > 0) then
    call get_command_argument(1, arg)
    read (arg, *) steps
  end if
  ompi = MPI_COMM_WORLD == 0
  call MPI_Comm_dup(MPI_COMM_WORLD, dup, ierr)
  call MPI_Type_vector(2, 1, 3, MPI_INTEGER, vec, ierr)
  call MPI_Type_commit(vec, ierr)
  call MPI_Op_create(add, .true., op, ierr)
  extra = 5
  call MPI_Grequest_start(query, free_fn, cancel_fn, extra, req, ierr)
  hdup = dup; hvec = vec; hop = op; hreq = req
  do i = 1, steps
    x = rank + i
    call MPI_Allreduce(x, y, 1, MPI_INTEGER, op, dup, ierr)
    ok = dup == hdup .and. vec == hvec .and. op == hop .and. req == hreq
    ok = ok .and. (.not. ompi .or. (dup >= 0 .and. vec >= 0 .and. op >= 0 .and. req >= 0))
    ok = ok .and. roundtrip_c(dup, vec, op, req, nproc) == 1
    if (rank == 0) then
      print '(a,i0,1x,i0,a,l1)', 'step ', i, y, ' handles ', ok
      flush (6)
    end if
    if (i == steps - 2) then
      call MPI_Grequest_complete(req, ierr)
      call MPI_Wait(req, status, ierr)
      call MPI_Get_count(status, MPI_INTEGER, count, ierr)
      if (rank == 0) print '(a,i0,a,i0,a,i0,a,i0,a,i0,a,l1)', 'greq count ', count, ' tag ', status(MPI_TAG), &
           ' queries ', nquery, ' frees ', nfree, ' extra ', extra, ' null ', req == MPI_REQUEST_NULL
      hreq = req
    end if
    call usleep_f(50000)
  end do
  call MPI_Op_free(op, ierr)
  call MPI_Type_free(vec, ierr)
  call MPI_Comm_free(dup, ierr)
  if (rank == 0) print '(a)', 'done'
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
