#include <pthread.h>
#include <stdio.h>
#include "common.h"
#define NT 8
#define ROUNDS 30
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, done_cv = PTHREAD_COND_INITIALIZER;
static int round_no, done_in_round;
static uint64_t counters[NT];
static void *worker(void *arg)
{
    int id = (int)(long)arg;
    uint64_t local = 0;
    for (int r = 1; r <= ROUNDS; r++) {
        pthread_mutex_lock(&mu);
        while (round_no < r)
            pthread_cond_wait(&cv, &mu);
        counters[id] += (uint64_t)(id + 1) * r;
        local += r;
        done_in_round++;
        pthread_cond_signal(&done_cv);
        pthread_mutex_unlock(&mu);
    }
    return (void *)(long)local;
}
int main(void)
{
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int r = 1; r <= ROUNDS; r++) {
        nap_ms(100);
        pthread_mutex_lock(&mu);
        round_no = r;
        done_in_round = 0;
        pthread_cond_broadcast(&cv);
        while (done_in_round < NT)
            pthread_cond_wait(&done_cv, &mu);
        pthread_mutex_unlock(&mu);
    }
    long sum = 0;
    for (int i = 0; i < NT; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        sum += (long)ret;
    }
    for (int i = 0; i < NT; i++)
        printf("thread %d: %llu\n", i, (unsigned long long)counters[i]);
    printf("joined sum=%ld\n", sum);
    return 0;
}
