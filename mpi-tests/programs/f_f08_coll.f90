! test: Fortran use mpi_f08: Allreduce with MPI_IN_PLACE, Comm_split/Comm_free with type(MPI_Comm), Ibcast+Wait, Iallreduce+Test, Type_vector with type(MPI_Datatype), Gatherv, comparing handles
! ranks: 1 2 4
program f_f08_coll
  use mpi_f08
  implicit none
  integer :: rank, nproc, i, sub_n
  type(MPI_Comm) :: sub
  type(MPI_Datatype) :: evens
  type(MPI_Request) :: req
  integer :: x(3), v(8), w(8)
  integer, allocatable :: cnts(:), dsp(:), all(:)
  double precision :: d, dsum
  logical :: done
  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc)
  x = (/rank, 1, rank * rank/)
  call MPI_Allreduce(MPI_IN_PLACE, x, 3, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD)
  call MPI_Comm_split(MPI_COMM_WORLD, rank / 2, rank, sub)
  call MPI_Comm_size(sub, sub_n)
  call MPI_Comm_free(sub)
  if (sub /= MPI_COMM_NULL) call MPI_Abort(MPI_COMM_WORLD, 1)
  v = 0
  if (rank == 0) v = (/(i * 11, i = 1, 8)/)
  call MPI_Ibcast(v, 8, MPI_INTEGER, 0, MPI_COMM_WORLD, req)
  call MPI_Wait(req, MPI_STATUS_IGNORE)
  ! every second element, as a vector type
  call MPI_Type_vector(4, 1, 2, MPI_INTEGER, evens)
  call MPI_Type_commit(evens)
  w = -1
  call MPI_Sendrecv(v, 1, evens, 0, 0, w, 4, MPI_INTEGER, 0, 0, MPI_COMM_SELF, MPI_STATUS_IGNORE)
  call MPI_Type_free(evens)
  if (w(4) /= 77 .or. w(5) /= -1) call MPI_Abort(MPI_COMM_WORLD, 2)
  d = 0.5d0 * (rank + 1)
  call MPI_Iallreduce(d, dsum, 1, MPI_DOUBLE_PRECISION, MPI_SUM, MPI_COMM_WORLD, req)
  done = .false.
  do while (.not. done)
    call MPI_Test(req, done, MPI_STATUS_IGNORE)
  end do
  allocate(cnts(nproc), dsp(nproc), all(nproc * (nproc + 1) / 2))
  do i = 1, nproc
    cnts(i) = i
    dsp(i) = (i - 1) * i / 2
  end do
  w(1:rank + 1) = rank
  call MPI_Gatherv(w, rank + 1, MPI_INTEGER, all, cnts, dsp, MPI_INTEGER, 0, MPI_COMM_WORLD)
  if (rank == 0) then
    print '(a,i0,a,3(1x,i0))', 'np ', nproc, ' in place', x
    print '(a,i0)', 'split size of rank 0 ', sub_n
    print '(a,f8.2)', 'iallreduce ', dsum
    print '(a,100(1x,i0))', 'gatherv', all
  end if
  call MPI_Finalize()
end program
