! test: Fortran generalized requests through mpif.h, `use mpi` and `use mpi_f08`: MPI_GREQUEST_START with query, free and cancel functions written in Fortran (extra_state by reference, seen changed from one callback to the next; a Fortran status filled with MPI_STATUS_SET_ELEMENTS, MPI_TAG, MPI_STATUS_SET_CANCELLED), MPI_TEST before and after MPI_GREQUEST_COMPLETE, MPI_WAIT, MPI_CANCEL, MPI_REQUEST_FREE before completion, MPI_WAITALL; and (Open MPI builds: MPI_COMM_WORLD is 0) Fortran handles of user objects are non-negative
! ranks: 1 2
module f_gr_state
  implicit none
  integer :: nquery = 0, nfree = 0, ncancel = 0
  logical :: cancelled = .false., cancel_saw_complete = .true.
  integer(kind=8) :: freed_extra = 0
end module f_gr_state

! ---- mpif.h ----
subroutine q77(extra, status, ierr)
  use f_gr_state
  implicit none
  include 'mpif.h'
  integer(kind=MPI_ADDRESS_KIND) :: extra
  integer :: status(MPI_STATUS_SIZE), ierr
  nquery = nquery + 1
  extra = extra + 1
  call MPI_STATUS_SET_ELEMENTS(status, MPI_INTEGER, 3, ierr)
  call MPI_STATUS_SET_CANCELLED(status, cancelled, ierr)
  status(MPI_TAG) = 77
  ierr = MPI_SUCCESS
end subroutine q77

subroutine f77(extra, ierr)
  use f_gr_state
  implicit none
  include 'mpif.h'
  integer(kind=MPI_ADDRESS_KIND) :: extra
  integer :: ierr
  nfree = nfree + 1
  freed_extra = extra
  ierr = MPI_SUCCESS
end subroutine f77

subroutine c77(extra, complete, ierr)
  use f_gr_state
  implicit none
  include 'mpif.h'
  integer(kind=MPI_ADDRESS_KIND) :: extra
  logical :: complete
  integer :: ierr
  ncancel = ncancel + 1
  cancel_saw_complete = complete
  cancelled = .true.
  ierr = MPI_SUCCESS
end subroutine c77

subroutine via_mpifh(rank)
  use f_gr_state
  implicit none
  include 'mpif.h'
  external :: q77, f77, c77
  integer :: rank, req, ierr, count, status(MPI_STATUS_SIZE)
  integer(kind=MPI_ADDRESS_KIND) :: extra
  logical :: before, after
  extra = 100
  call MPI_GREQUEST_START(q77, f77, c77, extra, req, ierr)
  call MPI_TEST(req, before, status, ierr)
  call MPI_GREQUEST_COMPLETE(req, ierr)
  call MPI_TEST(req, after, status, ierr)
  call MPI_GET_COUNT(status, MPI_INTEGER, count, ierr)
  if (rank == 0) print '(A,L1,1X,L1,A,I0,A,I0,A,I0,A,I0,A,I0,A,I0,A,L1)', 'mpifh: test before/after ', before, after, &
       ' count ', count, ' tag ', status(MPI_TAG), ' queries ', nquery, ' frees ', nfree, ' extra ', extra, &
       ' freed with ', freed_extra, ' null ', req == MPI_REQUEST_NULL
end subroutine via_mpifh

! ---- use mpi ----
subroutine via_use_mpi(rank)
  use mpi
  use f_gr_state
  implicit none
  external :: q77, f77, c77
  integer :: rank, req, copy, ierr, count, status(MPI_STATUS_SIZE)
  integer(kind=MPI_ADDRESS_KIND) :: extra
  logical :: flag, ompi, nonneg
  ompi = MPI_COMM_WORLD == 0
  nquery = 0; nfree = 0; cancelled = .false.
  extra = 200
  call MPI_Grequest_start(q77, f77, c77, extra, req, ierr)
  nonneg = req >= 0
  call MPI_Cancel(req, ierr)
  call MPI_Grequest_complete(req, ierr)
  call MPI_Wait(req, status, ierr)
  call MPI_Test_cancelled(status, flag, ierr)
  call MPI_Get_count(status, MPI_INTEGER, count, ierr)
  if (rank == 0) print '(A,I0,A,L1,A,L1,A,I0,A,I0,A,I0)', 'use mpi: cancels ', ncancel, ' saw complete ', &
       cancel_saw_complete, ' cancelled ', flag, ' count ', count, ' queries ', nquery, ' extra ', extra
  ! freed before it completes (MPICH calls the free function at once, Open MPI at MPI_Grequest_complete)
  extra = 300
  call MPI_Grequest_start(q77, f77, c77, extra, req, ierr)
  nonneg = nonneg .and. req >= 0
  copy = req
  call MPI_Request_free(req, ierr)
  call MPI_Grequest_complete(copy, ierr)
  if (rank == 0) print '(A,I0,A,I0,A,L1)', 'use mpi: freed early, frees ', nfree, &
       ' freed with ', freed_extra, ' null ', req == MPI_REQUEST_NULL
  if (rank == 0) print '(A,L1)', 'use mpi: request handles non-negative (Open MPI) ', nonneg .or. .not. ompi
end subroutine via_use_mpi

! ---- use mpi_f08 ----
subroutine q08(extra, status, ierr)
  use mpi_f08
  use f_gr_state
  implicit none
  integer(kind=MPI_ADDRESS_KIND) :: extra
  type(MPI_Status) :: status
  integer :: ierr
  nquery = nquery + 1
  call MPI_Status_set_elements(status, MPI_REAL, int(extra), ierr)
  status%MPI_TAG = 88
  ierr = MPI_SUCCESS
end subroutine q08

subroutine f08(extra, ierr)
  use mpi_f08
  use f_gr_state
  implicit none
  integer(kind=MPI_ADDRESS_KIND) :: extra
  integer :: ierr
  nfree = nfree + 1
  freed_extra = freed_extra + extra
  ierr = MPI_SUCCESS
end subroutine f08

subroutine c08(extra, complete, ierr)
  use mpi_f08
  use f_gr_state
  implicit none
  integer(kind=MPI_ADDRESS_KIND) :: extra
  logical :: complete
  integer :: ierr
  ncancel = ncancel + 1
  ierr = MPI_SUCCESS
end subroutine c08

subroutine via_f08(rank)
  use mpi_f08
  use f_gr_state
  implicit none
  procedure(MPI_Grequest_query_function) :: q08
  procedure(MPI_Grequest_free_function) :: f08
  procedure(MPI_Grequest_cancel_function) :: c08
  integer :: rank, ierr, c1, c2
  type(MPI_Request) :: reqs(2)
  type(MPI_Status) :: statuses(2)
  integer(kind=MPI_ADDRESS_KIND) :: e1, e2
  nquery = 0; nfree = 0; freed_extra = 0
  e1 = 4; e2 = 5
  call MPI_Grequest_start(q08, f08, c08, e1, reqs(1), ierr)
  call MPI_Grequest_start(q08, f08, c08, e2, reqs(2))
  call MPI_Grequest_complete(reqs(2), ierr)
  call MPI_Grequest_complete(reqs(1))
  call MPI_Waitall(2, reqs, statuses, ierr)
  call MPI_Get_count(statuses(1), MPI_REAL, c1)
  call MPI_Get_count(statuses(2), MPI_REAL, c2)
  if (rank == 0) print '(A,I0,1X,I0,A,I0,1X,I0,A,I0,A,I0,A,I0,A,L1)', 'f08: counts ', c1, c2, ' tags ', &
       statuses(1)%MPI_TAG, statuses(2)%MPI_TAG, ' queries ', nquery, ' frees ', nfree, ' extras freed ', &
       freed_extra, ' null ', reqs(1) == MPI_REQUEST_NULL .and. reqs(2) == MPI_REQUEST_NULL
end subroutine via_f08

program f_grequest
  use mpi
  implicit none
  integer :: ierr, rank, dup, split, vec, op, grp, info
  logical :: ompi
  external :: noop
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call via_mpifh(rank)
  call via_use_mpi(rank)
  call via_f08(rank)
  ! Open MPI's Fortran handles are indices of its f2c tables: never negative
  ompi = MPI_COMM_WORLD == 0
  call MPI_Comm_dup(MPI_COMM_WORLD, dup, ierr)
  call MPI_Comm_split(MPI_COMM_WORLD, 0, rank, split, ierr)
  call MPI_Type_vector(2, 1, 2, MPI_INTEGER, vec, ierr)
  call MPI_Op_create(noop, .true., op, ierr)
  call MPI_Comm_group(dup, grp, ierr)
  call MPI_Info_create(info, ierr)
  if (rank == 0) print '(A,L1)', 'user handles non-negative (Open MPI) ', &
       (dup >= 0 .and. split >= 0 .and. vec >= 0 .and. op >= 0 .and. grp >= 0 .and. info >= 0 &
        .and. dup /= split) .or. .not. ompi
  call MPI_Info_free(info, ierr)
  call MPI_Group_free(grp, ierr)
  call MPI_Op_free(op, ierr)
  call MPI_Type_free(vec, ierr)
  call MPI_Comm_free(split, ierr)
  call MPI_Comm_free(dup, ierr)
  call MPI_Barrier(MPI_COMM_WORLD, ierr)
  if (rank == 0) print '(A)', 'done'
  call MPI_Finalize(ierr)
end program f_grequest

subroutine noop(invec, inoutvec, len, datatype)
  implicit none
  integer :: len, datatype
  integer :: invec(len), inoutvec(len)
end subroutine noop
