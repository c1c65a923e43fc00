/* A timer signal every 200 us while the program spends most of its time inside
 * MPI calls: the handler must always run as the application's own code, on
 * the application's thread-local storage (on the main thread, a __thread
 * variable at the address main saw), never on the MPI library's. Prints the
 * number of handler runs that saw foreign TLS (must be 0). */
#include <errno.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
static __thread long tls_marker = 42;
static long *main_marker;
static long main_tid;
static volatile long runs, foreign;
static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    /* The process-wide timer may pick another thread (an MPI's own): only the
     * main thread's TLS is known here. */
    if (syscall(SYS_gettid) == main_tid && (&tls_marker != main_marker || tls_marker != 42))
        foreign++;
    runs++;
    errno = saved;
}
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    main_marker = &tls_marker;
    main_tid = syscall(SYS_gettid);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    long sum = 0;
    for (int i = 0; i < 20000; i++) {
        long v = i + rank, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        sum += s;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    long all_foreign = 0, f = foreign;
    MPI_Reduce(&f, &all_foreign, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("sum %ld handler-runs>0 %d foreign-tls %ld\n", sum, runs > 0, all_foreign);
    MPI_Finalize();
    return 0;
}
