#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes a C file defining `const char SYMBOL[]` with the bytes of INPUT, so
# that a text file of the tree (the varlink interface description) is
# embedded in the binary and stays the single source of truth.
import sys


def escape(byte):
    if byte == ord('\\'):
        return '\\\\'
    if byte == ord('"'):
        return '\\"'
    if byte == ord('\n'):
        return '\\n'
    if 0x20 <= byte < 0x7f:
        return chr(byte)
    # Three octal digits always end the escape, whatever follows.
    return '\\%03o' % byte


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: embed-text.py INPUT SYMBOL OUTPUT')
    source, symbol, output = sys.argv[1:]
    with open(source, 'rb') as f:
        data = f.read()
    if b'\0' in data:
        sys.exit(source + ': contains a NUL byte')
    out = ['/* Generated from %s by embed-text.py; do not edit. */' % source.rsplit('/', 1)[-1],
           'const char %s[] =' % symbol]
    for line in data.splitlines(keepends=True):
        out.append('        "%s"' % ''.join(escape(b) for b in line))
    if len(out) == 2:
        out.append('        ""')
    out[-1] += ';'
    with open(output, 'w') as f:
        f.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
