/* ckpt-lower-openmpi: the lower half on OpenMPI (DESIGN §2). The call table is the
 * generated shims compiled against this implementation's mpi.h. */
#include "ckpt_lower.h"
#include "../Shims/shims_lower.c.inc"

int main(int argc, char **argv, char **envp)
{
    static const struct ckpt_lower_flavour flavour = {"openmpi", &ckpt_calltable_impl, ck_prepare};
    return ckpt_lower_main(argc, argv, envp, &flavour);
}
