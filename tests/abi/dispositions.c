/* Prints every signal 1..31 whose disposition is a handler (none is ours to
 * have set), then fails an assert: what the application sees must be its own. */
#include <assert.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int handlers = 0;
    for (int s = 1; s < 32; s++) {
        struct sigaction sa;
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
            printf("signal %d has a handler\n", s);
            handlers++;
        }
    }
    printf("%d handlers\n", handlers);
    fflush(stdout);
    assert(argc > 99);
    MPI_Finalize();
    return 0;
}
