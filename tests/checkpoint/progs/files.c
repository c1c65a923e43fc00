/* Appends to out.txt (kept open, O_APPEND) and reads in.txt at a moving offset
 * through stdio; at the end prints out.txt. Run in a directory with in.txt. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
int main(void)
{
    int out = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    FILE *in = fopen("in.txt", "r");
    int raw = open("in.txt", O_RDONLY);
    if (out < 0 || !in || raw < 0)
        return 1;
    char line[256], buf[64];
    for (int i = 0; i < 30 && fgets(line, sizeof line, in); i++) {
        off_t at = lseek(raw, 0, SEEK_CUR);
        ssize_t n = read(raw, buf, 7);
        char msg[400];
        int m = snprintf(msg, sizeof msg, "step %d @%ld [%.*s] %s", i, (long)at, (int)(n > 0 ? n : 0), buf, line);
        if (write(out, msg, (size_t)m) != m)
            return 2;
        nap_ms(100);
    }
    close(out);
    fclose(in);
    close(raw);
    FILE *f = fopen("out.txt", "r");
    while (f && fgets(line, sizeof line, f))
        fputs(line, stdout);
    return 0;
}
