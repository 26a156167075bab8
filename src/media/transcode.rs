//! Renditions of a video made with ffmpeg: a ladder of H.264/AAC encodings sized for slow
//! links (240p at about 250 kbit/s up to 720p), an AAC mono audio-only rendition for the
//! weakest links, each as a progressive MP4 and as HLS (fMP4 segments of 4 s, keyframes
//! every 2 s so any rendition can start or switch at a segment), a master playlist that
//! lists them with their measured bandwidth, and a poster image.
//!
//! Everything here is blocking (it waits for ffmpeg) and works in a folder of its own; the
//! caller stores the files as blobs. ffmpeg's output is checked with a playlist parser
//! before it is trusted.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// No usable ffmpeg/ffprobe: the server serves the original file.
    #[error("{0}")]
    Unavailable(String),
    /// ffmpeg could not read or encode this file.
    #[error("{0}")]
    Failed(String),
    #[error("stopped: the job was taken over or the server is stopping")]
    Cancelled,
    #[error("I/O error in {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

type Result<T> = std::result::Result<T, TranscodeError>;

/// ffmpeg and ffprobe as found on this machine.
#[derive(Debug, Clone)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
}

impl Tools {
    /// `configured` is a program name looked up on PATH, or a path; ffprobe is taken from
    /// the same folder, or from PATH. Both must answer `-version`.
    pub fn find(configured: &str) -> Result<Tools> {
        let ffmpeg = locate(configured).ok_or_else(|| {
            TranscodeError::Unavailable(format!(
                "ffmpeg was not found (`{configured}`): install it (Debian: apt-get install ffmpeg) or set [media] ffmpeg; videos are served as uploaded"
            ))
        })?;
        let beside = ffmpeg.parent().map(|d| d.join("ffprobe")).filter(|p| p.is_file());
        let ffprobe = beside.or_else(|| locate("ffprobe")).ok_or_else(|| {
            TranscodeError::Unavailable(format!("ffprobe was not found beside {} or on PATH; videos are served as uploaded", ffmpeg.display()))
        })?;
        for tool in [&ffmpeg, &ffprobe] {
            let ok = Command::new(tool).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
            if !ok {
                return Err(TranscodeError::Unavailable(format!("{} does not run; videos are served as uploaded", tool.display())));
            }
        }
        Ok(Tools { ffmpeg, ffprobe })
    }
}

fn locate(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return path.is_file().then_some(path);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(program)).find(|p| p.is_file()))
}

/// What ffprobe says about a source video.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub width: u32,
    pub height: u32,
    pub duration: f64,
    pub has_audio: bool,
}

pub fn probe(tools: &Tools, file: &Path) -> Result<Source> {
    let out = Command::new(&tools.ffprobe)
        .args(["-v", "error", "-print_format", "json", "-show_streams", "-show_format"])
        .arg(file)
        .output()
        .map_err(|e| TranscodeError::Unavailable(format!("ffprobe did not start: {e}")))?;
    if !out.status.success() {
        return Err(TranscodeError::Failed(format!("ffprobe cannot read the video: {}", first_line(&out.stderr))));
    }
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| TranscodeError::Failed(format!("ffprobe's answer is not JSON: {e}")))?;
    let streams = info["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video" && s["disposition"]["attached_pic"] != 1)
        .ok_or_else(|| TranscodeError::Failed("the file has no video stream".into()))?;
    let duration = info["format"]["duration"].as_str().and_then(|d| d.parse::<f64>().ok()).unwrap_or(0.0);
    Ok(Source {
        width: video["width"].as_u64().unwrap_or(0) as u32,
        height: video["height"].as_u64().unwrap_or(0) as u32,
        duration,
        has_audio: streams.iter().any(|s| s["codec_type"] == "audio"),
    })
}

fn first_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr).lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_string()
}

/// One step of the ladder. `height` 0 is the audio-only rendition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    pub name: String,
    pub height: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
    pub mono: bool,
}

/// The renditions worth making of `source`: 240p and 360p always (a small source is
/// scaled up no further than its own height), 480p and 720p when the source is at least
/// that tall, and audio-only when it has sound. Bitrates leave room on the link they aim
/// at: 240p for 256-384 kbit/s, 360p for 1 Mbit/s with 300 ms round trips.
pub fn ladder(source: &Source) -> Vec<Rung> {
    let steps = [(240, 180, 48, true), (360, 400, 64, false), (480, 700, 96, false), (720, 1400, 128, false)];
    let mut rungs: Vec<Rung> = steps
        .iter()
        .filter(|(h, ..)| *h <= 360 || source.height >= *h)
        .map(|&(h, v, a, mono)| Rung { name: format!("{h}p"), height: h.min(source.height.max(2) & !1), video_kbps: v, audio_kbps: a, mono })
        .collect();
    // A tiny source gives two equal rungs: keep one.
    rungs.dedup_by(|b, a| a.height == b.height);
    if source.has_audio {
        rungs.push(Rung { name: "audio".into(), height: 0, video_kbps: 0, audio_kbps: 48, mono: true });
    }
    rungs
}

/// What was made, kept as JSON with the job for the player.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Made {
    /// `hls/master.m3u8`.
    pub master: String,
    pub variants: Vec<Variant>,
    pub poster: Option<String>,
    #[serde(default)]
    pub thumbnails: Option<Thumbnails>,
}

/// A strip of small frames at even intervals, for seeking by picture: one image of
/// `columns` per row, and a WebVTT file (`#xywh=` cues) for players that read one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thumbnails {
    pub file: String,
    pub vtt: String,
    pub width: u32,
    pub height: u32,
    pub columns: u32,
    pub count: u32,
    /// Seconds between two frames.
    pub interval: f64,
}

/// How many frames a strip of a video of `duration` seconds has, and how far apart: one
/// every 10 s, at least 1 and at most 100 (a long lecture gets sparser frames).
pub fn thumbnail_plan(duration: f64) -> (u32, f64) {
    let count = ((duration / 10.0).ceil() as u32).clamp(1, 100);
    (count, duration.max(0.1) / f64::from(count))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    /// 0 for audio only.
    pub height: u32,
    pub width: u32,
    /// Peak bits per second over any segment, as HLS's BANDWIDTH means it.
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    /// The progressive file (`240p.mp4`, `audio.m4a`).
    pub file: String,
    /// Its HLS playlist (`hls/240p/index.m3u8`).
    pub playlist: String,
}

/// Makes every rendition of `source_file` in `out` (which must be empty), reporting the
/// fraction done to `progress` and stopping when `cancel` is set.
pub fn make(tools: &Tools, source_file: &Path, out: &Path, progress: &dyn Fn(f64), cancel: &AtomicBool) -> Result<Made> {
    let source = probe(tools, source_file)?;
    let rungs = ladder(&source);
    let mut variants = Vec::new();
    for (n, rung) in rungs.iter().enumerate() {
        let file = if rung.height == 0 { "audio.m4a".to_string() } else { format!("{}.mp4", rung.name) };
        let share = |f: f64| progress((n as f64 + f.clamp(0.0, 1.0)) / rungs.len() as f64);
        encode(tools, source_file, &source, rung, &out.join(&file), &share, cancel)?;
        let playlist = format!("hls/{}/index.m3u8", rung.name);
        package_hls(tools, &out.join(&file), &out.join(&playlist), cancel)?;
        let (bandwidth, average_bandwidth) = measured_bandwidth(&out.join(&playlist))?;
        let (width, height) = if rung.height == 0 { (0, 0) } else { frame_size(tools, &out.join(&file))? };
        variants.push(Variant { name: rung.name.clone(), height, width, bandwidth, average_bandwidth, file, playlist });
    }
    let master = "hls/master.m3u8".to_string();
    write_master(&out.join(&master), &variants)?;
    let poster = self::poster(tools, source_file, &source, &out.join("poster.jpg")).then(|| "poster.jpg".to_string());
    let thumbnails = self::thumbnails(tools, source_file, &source, out);
    progress(1.0);
    Ok(Made { master, variants, poster, thumbnails })
}

/// Runs ffmpeg, reading `-progress` output to report how far through `duration` it is.
fn run_ffmpeg(tools: &Tools, args: &[String], duration: f64, progress: &dyn Fn(f64), cancel: &AtomicBool) -> Result<()> {
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-v", "error", "-nostdin", "-y", "-progress", "pipe:1", "-nostats"]).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| TranscodeError::Unavailable(format!("ffmpeg did not start: {e}")))?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = std::io::Read::read_to_end(&mut BufReader::new(stderr), &mut text);
        text
    });
    for line in BufReader::new(stdout).lines() {
        if cancel.load(Ordering::Relaxed) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TranscodeError::Cancelled);
        }
        let Ok(line) = line else { break };
        if let Some(us) = line.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<f64>().ok()) {
            if duration > 0.0 {
                progress(us / 1e6 / duration);
            }
        }
    }
    let status = child.wait().map_err(|e| TranscodeError::Failed(format!("ffmpeg: {e}")))?;
    let stderr = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(TranscodeError::Failed(format!("ffmpeg failed: {}", first_line(&stderr))));
    }
    Ok(())
}

/// ffmpeg ends when the server does, even when the server is killed: a job whose lease
/// runs out is started again elsewhere, and a leftover encoder would only compete with it.
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches only the child being set up.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

fn encode(tools: &Tools, input: &Path, source: &Source, rung: &Rung, output: &Path, progress: &dyn Fn(f64), cancel: &AtomicBool) -> Result<()> {
    let mut args: Vec<String> = vec!["-i".into(), input.display().to_string()];
    let audio = |args: &mut Vec<String>| {
        args.extend(["-c:a", "aac"].map(String::from));
        args.extend(["-b:a".to_string(), format!("{}k", rung.audio_kbps), "-ac".into(), if rung.mono { "1" } else { "2" }.into()]);
    };
    if rung.height == 0 {
        args.extend(["-map", "0:a:0", "-vn"].map(String::from));
        audio(&mut args);
    } else {
        args.extend(["-map", "0:v:0", "-map", "0:a:0?"].map(String::from));
        let v = rung.video_kbps;
        args.extend([
            "-vf".to_string(),
            format!("scale=-2:{}:flags=bicubic,format=yuv420p", rung.height),
            "-c:v".into(),
            "libx264".into(),
            "-preset".into(),
            "veryfast".into(),
            "-profile:v".into(),
            "main".into(),
            "-b:v".into(),
            format!("{v}k"),
            "-maxrate".into(),
            format!("{}k", v * 6 / 5),
            "-bufsize".into(),
            format!("{}k", v * 2),
            // A keyframe every 2 s whatever the frame rate: segments of 4 s start on one.
            "-force_key_frames".into(),
            "expr:gte(t,n_forced*2)".into(),
        ]);
        if source.has_audio {
            audio(&mut args);
        }
    }
    args.extend(["-movflags".into(), "+faststart".into(), output.display().to_string()]);
    run_ffmpeg(tools, &args, source.duration, progress, cancel)
}

fn package_hls(tools: &Tools, input: &Path, playlist: &Path, cancel: &AtomicBool) -> Result<()> {
    let dir = playlist.parent().expect("a playlist in a folder");
    std::fs::create_dir_all(dir).map_err(|source| TranscodeError::Io { path: dir.to_owned(), source })?;
    let args: Vec<String> = vec![
        "-i".into(),
        input.display().to_string(),
        "-map".into(),
        "0".into(),
        "-c".into(),
        "copy".into(),
        "-f".into(),
        "hls".into(),
        "-hls_time".into(),
        "4".into(),
        "-hls_playlist_type".into(),
        "vod".into(),
        "-hls_segment_type".into(),
        "fmp4".into(),
        "-hls_fmp4_init_filename".into(),
        "init.mp4".into(),
        "-hls_segment_filename".into(),
        dir.join("seg%03d.m4s").display().to_string(),
        playlist.display().to_string(),
    ];
    run_ffmpeg(tools, &args, 0.0, &|_| {}, cancel)
}

/// Reads ffmpeg's media playlist with a parser, checks that every segment it names was
/// written, and measures (peak, average) bits per second from the segments' sizes.
pub fn measured_bandwidth(playlist: &Path) -> Result<(u64, u64)> {
    let text = std::fs::read(playlist).map_err(|source| TranscodeError::Io { path: playlist.to_owned(), source })?;
    let media = match m3u8_rs::parse_playlist_res(&text) {
        Ok(m3u8_rs::Playlist::MediaPlaylist(m)) => m,
        _ => return Err(TranscodeError::Failed(format!("ffmpeg wrote an unreadable playlist {}", playlist.display()))),
    };
    if !media.end_list || media.segments.is_empty() {
        return Err(TranscodeError::Failed(format!("{} is not a complete VOD playlist", playlist.display())));
    }
    let dir = playlist.parent().expect("a playlist in a folder");
    let (mut peak, mut bits, mut seconds) = (0f64, 0f64, 0f64);
    for seg in &media.segments {
        let size = std::fs::metadata(dir.join(&seg.uri)).map_err(|source| TranscodeError::Io { path: dir.join(&seg.uri), source })?.len() as f64 * 8.0;
        let d = f64::from(seg.duration).max(0.1);
        peak = peak.max(size / d);
        bits += size;
        seconds += d;
    }
    Ok((peak.ceil() as u64, (bits / seconds.max(0.1)).ceil() as u64))
}

fn frame_size(tools: &Tools, file: &Path) -> Result<(u32, u32)> {
    let s = probe(tools, file)?;
    Ok((s.width, s.height))
}

/// The master playlist: every variant with its measured bandwidth and codecs (Main
/// profile H.264 and AAC-LC, as `encode` makes them), lowest first.
fn write_master(path: &Path, variants: &[Variant]) -> Result<()> {
    let master = m3u8_rs::MasterPlaylist {
        version: Some(7),
        independent_segments: true,
        variants: variants
            .iter()
            .map(|v| m3u8_rs::VariantStream {
                uri: v.playlist.trim_start_matches("hls/").to_string(),
                bandwidth: v.bandwidth,
                average_bandwidth: Some(v.average_bandwidth),
                codecs: Some(if v.height == 0 { "mp4a.40.2".to_string() } else { format!("avc1.4D40{:02X},mp4a.40.2", level_for(v.height)) }),
                resolution: (v.height > 0).then_some(m3u8_rs::Resolution { width: v.width as u64, height: v.height as u64 }),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut out = Vec::new();
    master.write_to(&mut out).map_err(|source| TranscodeError::Io { path: path.to_owned(), source })?;
    std::fs::write(path, out).map_err(|source| TranscodeError::Io { path: path.to_owned(), source })
}

/// The H.264 level x264 picks for these sizes and bitrates (3.0 up to 480p, 3.1 for 720p).
fn level_for(height: u32) -> u32 {
    if height > 480 {
        31
    } else {
        30
    }
}

/// A frame a tenth of the way in (at most 5 s), 360 px high; false when it could not be made.
fn poster(tools: &Tools, input: &Path, source: &Source, output: &Path) -> bool {
    let at = (source.duration * 0.1).min(5.0);
    let args: Vec<String> = vec![
        "-ss".into(),
        format!("{at:.2}"),
        "-i".into(),
        input.display().to_string(),
        "-frames:v".into(),
        "1".into(),
        "-vf".into(),
        format!("scale=-2:{}", source.height.clamp(2, 360) & !1),
        "-q:v".into(),
        "4".into(),
        output.display().to_string(),
    ];
    run_ffmpeg(tools, &args, 0.0, &|_| {}, &AtomicBool::new(false)).is_ok() && output.is_file()
}

const THUMB_WIDTH: u32 = 160;
const THUMB_COLUMNS: u32 = 10;

/// The strip (`thumbs.jpg`) and its cues (`thumbs.vtt`); `None` when ffmpeg could not make it.
fn thumbnails(tools: &Tools, input: &Path, source: &Source, out: &Path) -> Option<Thumbnails> {
    if source.width == 0 || source.height == 0 {
        return None;
    }
    let (count, interval) = thumbnail_plan(source.duration);
    let height = ((THUMB_WIDTH * source.height / source.width.max(1)) & !1).max(2);
    let columns = THUMB_COLUMNS.min(count);
    let rows = count.div_ceil(columns);
    let args: Vec<String> = vec![
        "-i".into(),
        input.display().to_string(),
        "-vf".into(),
        format!("fps=1/{interval:.3},scale={THUMB_WIDTH}:{height},tile={columns}x{rows}"),
        "-frames:v".into(),
        "1".into(),
        "-q:v".into(),
        "6".into(),
        out.join("thumbs.jpg").display().to_string(),
    ];
    run_ffmpeg(tools, &args, 0.0, &|_| {}, &AtomicBool::new(false)).ok()?;
    let mut vtt = String::from("WEBVTT\n");
    for i in 0..count {
        let (x, y) = ((i % columns) * THUMB_WIDTH, (i / columns) * height);
        let (from, to) = (f64::from(i) * interval, f64::from(i + 1) * interval);
        vtt.push_str(&format!("\n{} --> {}\nthumbs.jpg#xywh={x},{y},{THUMB_WIDTH},{height}\n", vtt_time(from), vtt_time(to)));
    }
    std::fs::write(out.join("thumbs.vtt"), vtt).ok()?;
    Some(Thumbnails { file: "thumbs.jpg".into(), vtt: "thumbs.vtt".into(), width: THUMB_WIDTH, height, columns, count, interval })
}

fn vtt_time(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strip_has_a_frame_every_ten_seconds_up_to_a_hundred() {
        assert_eq!(thumbnail_plan(600.0), (60, 10.0));
        assert_eq!(thumbnail_plan(6.0), (1, 6.0));
        let (count, interval) = thumbnail_plan(5400.0);
        assert_eq!((count, interval), (100, 54.0), "a 90-minute lecture");
        assert_eq!(vtt_time(3725.5), "01:02:05.500");
    }

    fn source(height: u32, has_audio: bool) -> Source {
        Source { width: height * 16 / 9, height, duration: 600.0, has_audio }
    }

    #[test]
    fn the_ladder_fits_the_source() {
        let names = |s: &Source| ladder(s).into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(names(&source(720, true)), ["240p", "360p", "480p", "720p", "audio"]);
        assert_eq!(names(&source(1080, true)), ["240p", "360p", "480p", "720p", "audio"]);
        assert_eq!(names(&source(480, false)), ["240p", "360p", "480p"]);
        assert_eq!(names(&source(360, true)), ["240p", "360p", "audio"]);
        let small = ladder(&source(200, true));
        assert_eq!(small.iter().map(|r| r.height).collect::<Vec<_>>(), [200, 0], "no upscaling, no duplicate rung");
        let low = &ladder(&source(720, true))[0];
        assert!(low.video_kbps + low.audio_kbps <= 250 && low.mono, "240p fits a 256 kbit/s link with room: {low:?}");
        let audio = ladder(&source(720, true)).pop().unwrap();
        assert_eq!((audio.height, audio.audio_kbps, audio.mono), (0, 48, true));
    }

    #[test]
    fn the_master_playlist_lists_each_variant_and_parses_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.m3u8");
        let variants = vec![
            Variant { name: "240p".into(), height: 240, width: 426, bandwidth: 260_000, average_bandwidth: 230_000, file: "240p.mp4".into(), playlist: "hls/240p/index.m3u8".into() },
            Variant { name: "720p".into(), height: 720, width: 1280, bandwidth: 1_700_000, average_bandwidth: 1_500_000, file: "720p.mp4".into(), playlist: "hls/720p/index.m3u8".into() },
            Variant { name: "audio".into(), height: 0, width: 0, bandwidth: 56_000, average_bandwidth: 50_000, file: "audio.m4a".into(), playlist: "hls/audio/index.m3u8".into() },
        ];
        write_master(&path, &variants).unwrap();
        let text = std::fs::read(&path).unwrap();
        let Ok(m3u8_rs::Playlist::MasterPlaylist(master)) = m3u8_rs::parse_playlist_res(&text) else { panic!("a master playlist: {}", String::from_utf8_lossy(&text)) };
        assert_eq!(master.variants.len(), 3);
        assert_eq!(master.variants[0].uri, "240p/index.m3u8");
        assert_eq!(master.variants[0].bandwidth, 260_000);
        assert_eq!(master.variants[1].codecs.as_deref(), Some("avc1.4D401F,mp4a.40.2"));
        assert_eq!(master.variants[1].resolution, Some(m3u8_rs::Resolution { width: 1280, height: 720 }));
        assert_eq!(master.variants[2].codecs.as_deref(), Some("mp4a.40.2"));
        assert!(master.variants[2].resolution.is_none(), "audio only");
    }

    #[test]
    fn missing_ffmpeg_is_reported_as_unavailable() {
        let err = Tools::find("/nonexistent/ffmpeg").unwrap_err();
        assert!(matches!(err, TranscodeError::Unavailable(_)), "{err}");
        assert!(err.to_string().contains("apt-get install ffmpeg"), "{err}");
    }
}
