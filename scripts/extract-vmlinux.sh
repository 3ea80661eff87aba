#!/usr/bin/env bash
# Unpacks the uncompressed ELF vmlinux from a bzImage (Debian's /boot/vmlinuz-*): the setup header
# gives the compressed payload's offset and length; xz, zstd, gzip and lz4 payloads are handled.
# Usage: extract-vmlinux.sh BZIMAGE OUTPUT
set -euo pipefail
in="$1"; out="$2"
read -r setup_sects payload_offset payload_length < <(python3 - "$in" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(0x260)
if d[0x202:0x206] != b'HdrS':
    sys.exit(f"{sys.argv[1]}: not a bzImage")
print(d[0x1f1] or 4, *struct.unpack_from('<II', d, 0x248))
PY
)
start=$(( (setup_sects + 1) * 512 + payload_offset ))
magic=$(dd if="$in" iflag=skip_bytes,count_bytes skip="$start" count=4 status=none | od -An -tx1 | tr -d ' \n')
case "$magic" in
  fd377a58) dec=(xz -dc --single-stream) ;;
  28b52ffd) dec=(zstd -dc) ;;
  1f8b*)    dec=(gzip -dc) ;;
  02214c18) dec=(lz4 -dc) ;;
  *) echo "unknown payload compression (magic $magic)" >&2; exit 1 ;;
esac
mkdir -p "$(dirname "$out")"
dd if="$in" iflag=skip_bytes,count_bytes skip="$start" count="$payload_length" status=none | "${dec[@]}" > "$out.tmp" 2>/dev/null || true
[ "$(dd if="$out.tmp" count=4 iflag=count_bytes status=none | od -An -tx1 | tr -d ' \n')" = "7f454c46" ] || { echo "extracted payload is not an ELF" >&2; rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out"
