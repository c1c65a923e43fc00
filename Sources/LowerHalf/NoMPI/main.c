/* ckpt-lower-nompi: the lower half without MPI (tests, serial programs). */
#include <ckpt_lower.h>

int main(int c, char **v, char **e)
{
    static const struct ckpt_lower_flavour f = {"none", 0, 0};
    return ckpt_lower_main(c, v, e, &f);
}
