! test: Fortran use mpi: Comm_split (colour, key reversing order, MPI_UNDEFINED gives MPI_COMM_NULL), Comm_dup, Comm_compare, Comm_group, Group_incl, Group_translate_ranks, Comm_create, Comm_set_name/get_name, Comm_free
! ranks: 1 2 4
program f_comm_split
  use mpi
  implicit none
  integer :: ierr, rank, nproc, par, pn, pr, s, only0, dup, res, wgrp, egrp, ecomm, en, i
  integer :: ranks(4), tr(4)
  character(len=MPI_MAX_OBJECT_NAME) :: nm
  integer :: nlen
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nproc, ierr)
  call MPI_Comm_split(MPI_COMM_WORLD, mod(rank, 2), nproc - rank, par, ierr)
  call MPI_Comm_size(par, pn, ierr)
  call MPI_Comm_rank(par, pr, ierr)
  if (pn /= (nproc + 1 - mod(rank, 2)) / 2 .or. pr /= pn - 1 - rank / 2) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  call MPI_Allreduce(rank, s, 1, MPI_INTEGER, MPI_SUM, par, ierr)
  if (rank == 0) then
    call MPI_Comm_split(MPI_COMM_WORLD, 0, 0, only0, ierr)
  else
    call MPI_Comm_split(MPI_COMM_WORLD, MPI_UNDEFINED, 0, only0, ierr)
  end if
  if ((rank == 0) .neqv. (only0 /= MPI_COMM_NULL)) call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  if (only0 /= MPI_COMM_NULL) call MPI_Comm_free(only0, ierr)
  call MPI_Comm_dup(MPI_COMM_WORLD, dup, ierr)
  call MPI_Comm_compare(dup, MPI_COMM_WORLD, res, ierr)
  if (res /= MPI_CONGRUENT) call MPI_Abort(MPI_COMM_WORLD, 3, ierr)
  call MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_WORLD, res, ierr)
  if (res /= MPI_IDENT) call MPI_Abort(MPI_COMM_WORLD, 4, ierr)
  call MPI_Comm_set_name(dup, 'fortran dup', ierr)
  call MPI_Comm_get_name(dup, nm, nlen, ierr)
  ! the even ranks of the world, through a group
  call MPI_Comm_group(MPI_COMM_WORLD, wgrp, ierr)
  en = (nproc + 1) / 2
  do i = 1, en
    ranks(i) = 2 * (i - 1)
  end do
  call MPI_Group_incl(wgrp, en, ranks, egrp, ierr)
  call MPI_Group_translate_ranks(egrp, en, (/(i, i = 0, en - 1)/), wgrp, tr, ierr)
  if (any(tr(1:en) /= ranks(1:en))) call MPI_Abort(MPI_COMM_WORLD, 5, ierr)
  call MPI_Comm_create(dup, egrp, ecomm, ierr)
  if (mod(rank, 2) == 0) then
    call MPI_Comm_size(ecomm, i, ierr)
    if (i /= en) call MPI_Abort(MPI_COMM_WORLD, 6, ierr)
    call MPI_Comm_free(ecomm, ierr)
  else if (ecomm /= MPI_COMM_NULL) then
    call MPI_Abort(MPI_COMM_WORLD, 7, ierr)
  end if
  call MPI_Group_free(egrp, ierr)
  call MPI_Group_free(wgrp, ierr)
  call MPI_Comm_free(dup, ierr)
  if (dup /= MPI_COMM_NULL) call MPI_Abort(MPI_COMM_WORLD, 8, ierr)
  call MPI_Comm_free(par, ierr)
  call MPI_Reduce(s, i, 1, MPI_INTEGER, MPI_SUM, 0, MPI_COMM_WORLD, ierr)
  if (rank == 0) then
    print '(a,i0,a,i0)', 'np ', nproc, ' sum of parity sums ', i
    print '(a,a,a,i0)', 'name "', nm(1:nlen), '" length ', nlen
    print '(a,i0)', 'even ranks ', en
  end if
  call MPI_Finalize(ierr)
end program
