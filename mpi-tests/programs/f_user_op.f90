! test: Fortran use mpi: MPI_Op_create with a Fortran subroutine (commutative and not), Reduce/Allreduce with it, Op_free
! ranks: 1 2 4
module f_user_op_m
contains
  subroutine absmax(invec, inoutvec, len, dtype)
    integer :: len, dtype, i
    integer :: invec(len), inoutvec(len)
    do i = 1, len
      if (abs(invec(i)) > abs(inoutvec(i))) inoutvec(i) = invec(i)
    end do
  end subroutine
  ! 2x2 integer matrix product, not commutative: order of ranks shows
  subroutine matmul2(invec, inoutvec, len, dtype)
    integer :: len, dtype, i
    integer :: invec(4, len), inoutvec(4, len), t(4)
    do i = 1, len
      t(1) = invec(1, i) * inoutvec(1, i) + invec(3, i) * inoutvec(2, i)
      t(2) = invec(2, i) * inoutvec(1, i) + invec(4, i) * inoutvec(2, i)
      t(3) = invec(1, i) * inoutvec(3, i) + invec(3, i) * inoutvec(4, i)
      t(4) = invec(2, i) * inoutvec(3, i) + invec(4, i) * inoutvec(4, i)
      inoutvec(:, i) = t
    end do
  end subroutine
end module
program f_user_op
  use mpi
  use f_user_op_m
  implicit none
  integer :: ierr, rank, nproc, op1, op2, mat
  integer :: v(2), r(2), m(4), mr(4)
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  call MPI_Op_create(absmax, .true., op1, ierr)
  v = (/(-1)**rank * rank * 3, rank - 2/)
  call MPI_Allreduce(v, r, 2, MPI_INTEGER, op1, MPI_COMM_WORLD, ierr)
  call MPI_Op_free(op1, ierr)
  call MPI_Type_contiguous(4, MPI_INTEGER, mat, ierr)
  call MPI_Type_commit(mat, ierr)
  call MPI_Op_create(matmul2, .false., op2, ierr)
  m = (/1, rank, 0, 1/)
  if (mod(rank, 2) == 1) m = (/0, 1, 1, rank/)
  call MPI_Reduce(m, mr, 1, mat, op2, 0, MPI_COMM_WORLD, ierr)
  call MPI_Op_free(op2, ierr)
  call MPI_Type_free(mat, ierr)
  if (rank == 0) then
    print '(a,i0,a,2(1x,i0))', 'np ', nproc, ' absmax', r
    print '(a,4(1x,i0))', 'ordered product', mr
  end if
  call MPI_Finalize(ierr)
end program
