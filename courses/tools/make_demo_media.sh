#!/usr/bin/env bash
# Regenerate the generated media of the two demo courses shipped with the server:
#   courses/rice-growing/media/rice-intro.mp4  + .zh-CN.vtt + .en.vtt
#   courses/rice-growing/docs/rice-handout.pdf
#   courses/water-cycle/media/water-cycle.mp4  + .zh-CN.vtt + .en.vtt
#   courses/water-cycle/docs/water-cycle-worksheet.pdf
# and verify the results (codecs, duration, size, moov-before-mdat, embedded fonts).
#
# course.toml and the HTML pages (pages/*.html) are hand-written, not generated.
#
# Requirements
#   Debian packages: ffmpeg (libx264, AAC encoder, drawtext/libfreetype),
#                    fonts-wqy-zenhei (Chinese font), fonts-dejavu-core (Latin font),
#                    python3; optional: poppler-utils (pdffonts/pdftotext checks)
#     apt-get install -y ffmpeg fonts-wqy-zenhei fonts-dejavu-core poppler-utils
#   PyPI packages:   reportlab (pulls in Pillow, also used to check text widths)
#     pip install reportlab
#
# Usage: courses/tools/make_demo_media.sh [course-slug ...]   (default: all demo courses)
# Output is deterministic apart from encoder/library version differences.
set -euo pipefail

TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COURSES="$(dirname "$TOOLS")"

for cmd in ffmpeg ffprobe python3; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd (apt-get install ffmpeg python3)" >&2; exit 1; }
done
python3 -c 'import reportlab' 2>/dev/null || { echo "missing reportlab (pip install reportlab)" >&2; exit 1; }

python3 "$TOOLS/make_demo_video.py" "$COURSES" "$@"
python3 "$TOOLS/make_demo_pdfs.py" "$COURSES" "$@"

echo "--- verification"
python3 "$TOOLS/check_demo_media.py" "$COURSES" "$@"
