! test: Fortran `use mpi`: MPI-IO from Fortran (File_open/set_view/write_at_all/read_at/get_size/close, the handle through MPI_File_c2f/f2c of the face) and the Fortran-kind types of MPI_Type_create_f90_real/integer in a reduction
! ranks: 1 2 4
program f_io_kinds
  use mpi
  implicit none
  integer, parameter :: dp = selected_real_kind(15, 300)
  integer, parameter :: i8 = selected_int_kind(18)
  integer :: ierr, rank, nproc, fh, treal, tint, i, sz
  integer(kind=MPI_OFFSET_KIND) :: off, fsize
  integer :: status(MPI_STATUS_SIZE)
  real(dp) :: x(4), y(4), s
  integer(i8) :: big, bigsum
  character(len=256) :: path
  character(len=32) :: id
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  ! one name per run: rank 0's pid would need a C call; the job's size and a fixed name in TMPDIR do
  call get_environment_variable("TMPDIR", path)
  if (len_trim(path) == 0) path = "."
  write (id, '(I0)') nproc
  path = trim(path) // "/f_io_kinds." // trim(id) // ".dat"
  call MPI_Type_create_f90_real(15, 300, treal, ierr)
  call MPI_Type_create_f90_integer(18, tint, ierr)
  call MPI_Type_size(treal, sz, ierr)
  do i = 1, 4
    x(i) = rank * 10.0_dp + i
  end do
  call MPI_File_open(MPI_COMM_WORLD, trim(path), ior(MPI_MODE_CREATE, MPI_MODE_RDWR), MPI_INFO_NULL, fh, ierr)
  off = int(rank, MPI_OFFSET_KIND) * 4 * sz
  call MPI_File_write_at_all(fh, off, x, 4, treal, status, ierr)
  call MPI_File_sync(fh, ierr)
  call MPI_Barrier(MPI_COMM_WORLD, ierr)
  off = int(mod(rank + 1, nproc), MPI_OFFSET_KIND) * 4 * sz
  call MPI_File_read_at(fh, off, y, 4, treal, status, ierr)
  call MPI_File_get_size(fh, fsize, ierr)
  call MPI_File_close(fh, ierr)
  call MPI_Barrier(MPI_COMM_WORLD, ierr)
  if (rank == 0) call MPI_File_delete(trim(path), MPI_INFO_NULL, ierr)
  call MPI_Allreduce(sum(y), s, 1, treal, MPI_SUM, MPI_COMM_WORLD, ierr)
  big = int(rank + 1, i8) * 2_i8**40
  call MPI_Allreduce(big, bigsum, 1, tint, MPI_SUM, MPI_COMM_WORLD, ierr)
  if (rank == 0) then
    print '(A,I0,A,I0,A,F10.1,A,I0,A,F8.1)', 'real size ', sz, ' file size ', fsize, ' sum ', s, &
      ' bigsum ', bigsum, ' y1 ', y(1)
  end if
  call MPI_Finalize(ierr)
end program f_io_kinds
