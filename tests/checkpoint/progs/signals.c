/* A periodic SIGALRM handler, SIGUSR1 blocked, SIGUSR2 ignored: all must survive. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "common.h"
static volatile sig_atomic_t ticks;
static void on_alarm(int s) { (void)s; ticks++; }
int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    struct itimerval it = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    while (ticks < 60)
        nap_ms(10);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigset_t cur, pend;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    raise(SIGUSR1);
    raise(SIGUSR2);
    sigpending(&pend);
    struct sigaction now;
    sigaction(SIGALRM, NULL, &now);
    printf("ticks>=60: %s\n", ticks >= 60 ? "yes" : "no");
    printf("SIGUSR1 blocked: %s, pending: %s\n", sigismember(&cur, SIGUSR1) ? "yes" : "no",
           sigismember(&pend, SIGUSR1) ? "yes" : "no");
    printf("SIGALRM handler kept: %s, SIGUSR2 ignored: %s\n", now.sa_handler == on_alarm ? "yes" : "no",
           sigismember(&pend, SIGUSR2) ? "no" : "yes");
    return 0;
}
