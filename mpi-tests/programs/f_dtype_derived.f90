! test: Fortran use mpi: Type_contiguous, Type_vector (a row of a column-major matrix), Type_create_struct with MPI_ADDRESS_KIND displacements, Type_size, Type_get_extent, Type_create_resized, Type_free, Pack/Unpack
! ranks: 2 4
program f_dtype_derived
  use mpi
  implicit none
  type particle
    integer :: id
    double precision :: pos(3)
  end type
  integer :: ierr, rank, nproc, i, j, rowt, ptype, ptype1, sz, quad, pos
  integer :: blens(2), types(2)
  integer(kind=MPI_ADDRESS_KIND) :: disps(2), base, lb, ext, next
  double precision :: m(4, 5)
  type(particle) :: p(3)
  character :: packbuf(256)
  integer :: q(8), q2(8)
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  ! row 2 of a 4x5 matrix: 5 elements, stride 4
  call MPI_Type_vector(5, 1, 4, MPI_DOUBLE_PRECISION, rowt, ierr)
  call MPI_Type_commit(rowt, ierr)
  call MPI_Type_size(rowt, sz, ierr)
  call MPI_Type_get_extent(rowt, lb, ext, ierr)
  do j = 1, 5
    do i = 1, 4
      m(i, j) = 0
      if (rank == 0) m(i, j) = 10 * i + j
    end do
  end do
  if (rank == 0) then
    call MPI_Send(m(2, 1), 1, rowt, 1, 0, MPI_COMM_WORLD, ierr)
  else if (rank == 1) then
    call MPI_Recv(m(3, 1), 1, rowt, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierr)
    do j = 1, 5
      if (m(3, j) /= 20 + j .or. m(2, j) /= 0) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
    end do
  end if
  ! a struct type matching the derived type, resized to its array stride
  call MPI_Get_address(p(1)%id, disps(1), ierr)
  call MPI_Get_address(p(1)%pos, disps(2), ierr)
  base = disps(1)
  disps = disps - base
  blens = (/1, 3/)
  types = (/MPI_INTEGER, MPI_DOUBLE_PRECISION/)
  call MPI_Type_create_struct(2, blens, disps, types, ptype1, ierr)
  call MPI_Get_address(p(2)%id, next, ierr)
  call MPI_Type_create_resized(ptype1, 0_MPI_ADDRESS_KIND, next - base, ptype, ierr)
  call MPI_Type_commit(ptype, ierr)
  do i = 1, 3
    p(i)%id = -1
    p(i)%pos = 0
    if (rank == 0) then
      p(i)%id = i
      p(i)%pos = (/i * 1.0d0, i * 2.0d0, i * 3.0d0/)
    end if
  end do
  call MPI_Bcast(p, 3, ptype, 0, MPI_COMM_WORLD, ierr)
  if (p(3)%id /= 3 .or. p(3)%pos(3) /= 9.0d0 .or. p(2)%pos(1) /= 2.0d0) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  ! contiguous + pack/unpack
  call MPI_Type_contiguous(4, MPI_INTEGER, quad, ierr)
  call MPI_Type_commit(quad, ierr)
  q = (/(rank * 10 + i, i = 1, 8)/)
  pos = 0
  call MPI_Pack(q, 2, quad, packbuf, 256, pos, MPI_COMM_WORLD, ierr)
  q2 = 0
  i = pos
  pos = 0
  call MPI_Unpack(packbuf, 256, pos, q2, 2, quad, MPI_COMM_WORLD, ierr)
  if (any(q2 /= q) .or. pos /= i) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
  call MPI_Type_free(quad, ierr)
  call MPI_Type_free(ptype1, ierr)
  call MPI_Type_free(ptype, ierr)
  call MPI_Type_free(rowt, ierr)
  if (rank == 0) then
    print '(a,i0,a,i0,a,i0)', 'row type size ', sz, ' lb ', lb, ' extent ', ext
    print '(a,i0,a,3f6.1)', 'particle 3 id ', p(3)%id, ' pos', p(3)%pos
    print '(a,i0)', 'packed bytes ', i
    print '(a,l1)', 'row type freed ', rowt == MPI_DATATYPE_NULL
  end if
  call MPI_Finalize(ierr)
end program
