#!/usr/bin/env python3
"""Check the demo course packages: course.toml fields, files, MP4s, captions,
PDFs and HTML pages.  Exits non-zero on the first list of problems.

Usage: check_demo_media.py COURSES_DIR [course-slug ...]
Needs: python3 >= 3.11 (tomllib), ffprobe; optional: pdfinfo/pdffonts (poppler-utils).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

DEMO = ["rice-growing", "water-cycle"]
KINDS = {"video", "audio", "pdf", "html", "image", "file"}
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_RE = re.compile(r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
TS_RE = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2,}):(\d{2}):(\d{2})\.(\d{3})")

problems = []


def bad(msg):
    problems.append(msg)
    print("  PROBLEM:", msg)


def check_path(p):
    return (isinstance(p, str) and p and not p.startswith("/") and "\\" not in p
            and ".." not in p.split("/") and ":" not in p and "" not in p.split("/"))


def top_level_atoms(path):
    atoms = []
    with open(path, "rb") as f:
        size_total = os.fstat(f.fileno()).st_size
        pos = 0
        while pos < size_total:
            f.seek(pos)
            hdr = f.read(8)
            if len(hdr) < 8:
                break
            size = int.from_bytes(hdr[:4], "big")
            typ = hdr[4:8].decode("latin-1")
            if size == 1:
                size = int.from_bytes(f.read(8), "big")
            elif size == 0:
                size = size_total - pos
            atoms.append((typ, size))
            pos += size
    return atoms


def vtt_cues(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("WEBVTT"):
        bad(f"{path}: does not start with WEBVTT")
    cues = []
    for line in text.splitlines():
        m = TS_RE.match(line)
        if m:
            g = [int(x) for x in m.groups()]
            s = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
            e = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
            cues.append((s, e))
    return cues


def check_video(path, lesson):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    streams = {s["codec_type"]: s for s in info["streams"]}
    v, a = streams.get("video"), streams.get("audio")
    dur = float(info["format"]["duration"])
    size = os.path.getsize(path)
    atoms = [t for t, _ in top_level_atoms(path)]
    print(f"  video {os.path.basename(path)}: {v and v['codec_name']} {v and v.get('profile')} "
          f"{v and v['width']}x{v and v['height']} {v and v['r_frame_rate']}fps {v and v.get('pix_fmt')}, "
          f"{a and a['codec_name']} {a and a.get('profile')} {a and a['sample_rate']}Hz ch={a and a['channels']}, "
          f"duration {dur:.2f}s, {size / 1e6:.2f} MB, {int(info['format']['bit_rate']) // 1000} kb/s, "
          f"atoms {' '.join(atoms)}")
    if not v or v["codec_name"] != "h264":
        bad(f"{path}: video codec is not h264")
    if not a or a["codec_name"] != "aac":
        bad(f"{path}: audio codec is not aac")
    if v and (v["width"] > 640 or v["height"] > 360):
        bad(f"{path}: larger than 640x360")
    if not 15 <= dur <= 30.5:
        bad(f"{path}: duration {dur:.2f}s outside 15-30 s")
    if size > 2_000_000:
        bad(f"{path}: {size} bytes > 2 MB")
    if "moov" not in atoms or "mdat" not in atoms or atoms.index("moov") > atoms.index("mdat"):
        bad(f"{path}: moov atom is not before mdat (not faststart)")
    ds = lesson.get("duration_seconds")
    if ds is not None and abs(ds - dur) > 1.0:
        bad(f"{path}: duration_seconds={ds} but file is {dur:.2f}s")
    return dur


def check_pdf(path):
    size = os.path.getsize(path)
    pages = "?"
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", path], check=True, capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", out).group(1))
        if not 1 <= pages <= 2:
            bad(f"{path}: {pages} pages (want 1-2)")
    if shutil.which("pdffonts"):
        lines = subprocess.run(["pdffonts", path], check=True, capture_output=True,
                               text=True).stdout.splitlines()[2:]
        for ln in lines:
            cols = ln.split()
            # columns: name type encoding emb sub uni id gen (type may be 2 words)
            emb = cols[-5]
            if emb != "yes":
                bad(f"{path}: font {cols[0]} is not embedded")
    with open(path, "rb") as f:
        if f.read(5) != b"%PDF-":
            bad(f"{path}: not a PDF")
    if size > 300_000:
        bad(f"{path}: {size} bytes > 300 KB")
    print(f"  pdf   {os.path.basename(path)}: {pages} pages, {size / 1e3:.0f} KB")


def check_html(path):
    with open(path, encoding="utf-8") as f:
        html = f.read()
    low = html.lower()
    if '<meta charset="utf-8">' not in low:
        bad(f"{path}: missing <meta charset=\"utf-8\">")
    if 'name="viewport"' not in low:
        bad(f"{path}: missing viewport meta")
    if "<script" in low:
        bad(f"{path}: contains <script>")
    if "<link" in low or "@import" in low:
        bad(f"{path}: references an external stylesheet")
    for m in re.finditer(r"""(?:src|href|srcset|poster|action)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)""", html):
        ref = m.group(1) if m.group(1) is not None else m.group(2)
        if ref and not ref.startswith("#"):
            bad(f"{path}: external/relative reference {ref!r}")
    print(f"  html  {os.path.basename(path)}: {os.path.getsize(path) / 1e3:.1f} KB")


def check_course(cdir):
    print(f"course {os.path.basename(cdir)}")
    with open(os.path.join(cdir, "course.toml"), "rb") as f:
        c = tomllib.load(f)
    if c.get("format") != 1:
        bad("format must be 1")
    if not SLUG_RE.match(str(c.get("slug", ""))):
        bad(f"bad slug {c.get('slug')!r}")
    if c.get("slug") != os.path.basename(cdir):
        bad("slug differs from folder name")
    for k in ("title", "title_en", "description", "description_en", "subject", "grade", "language"):
        if not isinstance(c.get(k), str) or not c.get(k):
            bad(f"missing {k}")
    lessons = c.get("lessons") or []
    if not lessons:
        bad("no lessons")
    ids = set()
    for le in lessons:
        lid = le.get("id")
        if not ID_RE.match(str(lid)) or lid in ids:
            bad(f"bad or duplicate lesson id {lid!r}")
        ids.add(lid)
        if le.get("kind") not in KINDS:
            bad(f"{lid}: bad kind {le.get('kind')!r}")
        for k in ("title", "title_en"):
            if not le.get(k):
                bad(f"{lid}: missing {k}")
        files = [le.get("file")] + [cap.get("file") for cap in le.get("captions", [])]
        for p in files:
            if not check_path(p):
                bad(f"{lid}: bad path {p!r}")
            elif not os.path.isfile(os.path.join(cdir, p)):
                bad(f"{lid}: missing file {p}")
        if problems:
            continue
        path = os.path.join(cdir, le["file"])
        if le["kind"] == "video":
            dur = check_video(path, le)
            for cap in le.get("captions", []):
                cues = vtt_cues(os.path.join(cdir, cap["file"]))
                prev = 0.0
                for s, e in cues:
                    if not (prev <= s < e <= dur + 0.01):
                        bad(f"{cap['file']}: cue {s}-{e} out of order or beyond {dur:.2f}s")
                    prev = e
                print(f"  vtt   {os.path.basename(cap['file'])} ({cap['lang']}, {cap['label']}): "
                      f"{len(cues)} cues, {cues[0][0]:.1f}-{cues[-1][1]:.1f}s")
        elif le["kind"] == "pdf":
            check_pdf(path)
        elif le["kind"] == "html":
            check_html(path)
    kinds = [le.get("kind") for le in lessons]
    if kinds[:3] != ["video", "html", "pdf"]:
        bad(f"lesson order is {kinds}, expected video, html, pdf")


def main():
    courses = sys.argv[1]
    slugs = sys.argv[2:] or DEMO
    for slug in slugs:
        check_course(os.path.join(courses, slug))
    total = 0
    for root, _, files in os.walk(courses):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"total size of {courses}: {total / 1e6:.2f} MB")
    if total > 5_000_000:
        bad("courses/ is larger than 5 MB")
    if problems:
        print(f"{len(problems)} problem(s)")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
