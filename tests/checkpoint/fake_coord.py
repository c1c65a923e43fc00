#!/usr/bin/env python3
"""A stand-in for the coordinator side of docs/checkpoint-protocol.md, for the
engine's tests: accept one engine, print its HELLO, send one CHECKPOINT after
DELAY seconds, print the answer, then keep the connection open until the
engine closes it (or SECONDS more have passed).

    fake_coord.py SOCKET GEN DIR DELAY > transcript
"""
import os, socket, sys, time

path, gen, gdir, delay = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o600)
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
c.settimeout(60)
f = c.makefile("rwb", buffering=0)
print(f.readline().decode().strip(), flush=True)
time.sleep(delay)
# As the real coordinator: the generation directory is made before CHECKPOINT.
os.makedirs(gdir, mode=0o700, exist_ok=True)
f.write(f"CHECKPOINT gen={gen} dir={gdir}\n".encode())
print(f.readline().decode().strip(), flush=True)
try:
    while f.readline():
        pass
except Exception:
    pass
