//! The real server as a child process, for the benchmarks that measure it from outside:
//! start `sightline serve` on a free loopback port, read the address and ingest key from
//! its banner, sample its CPU time and memory from `/proc`, read `/metrics`, stop it with
//! SIGTERM (a graceful stop flushes the store) and wait for it.
//!
//! Linux only (`/proc`); elsewhere the samples are missing and say so.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running `sightline serve`.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `host:port` it listens on.
    pub address: String,
    /// The ingest keys of the banner, in the order printed.
    pub banner_keys: Vec<String>,
    log: PathBuf,
}

impl Server {
    /// Starts `binary serve --config config`, its log (stderr) going to `log`, and waits up
    /// to `timeout` for the banner. Every `SIGHTLINE_*` variable of this process's
    /// environment is removed, so that only the configuration file decides.
    pub fn start(binary: &Path, config: &Path, log: &Path, timeout: Duration) -> Result<Self, String> {
        let log_file =
            std::fs::File::create(log).map_err(|error| format!("cannot create {}: {error}", log.display()))?;
        let mut command = Command::new(binary);
        command.arg("serve").arg("--config").arg(config);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SIGHTLINE_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the server's stdout is not piped")?;
        // Read the banner here; the thread keeps draining stdout so the server never blocks on it.
        let (lines, banner) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut server = Self { child, address: String::new(), banner_keys: Vec::new(), log: log.to_owned() };
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match banner.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) => {
                    if let Some((_, address)) = line.split_once("listening on http://") {
                        server.address = address.trim().to_owned();
                    } else if let Some((_, rest)) = line.split_once("ingest key ") {
                        server.banner_keys.extend(rest.split_whitespace().next().map(str::to_owned));
                    } else if !server.address.is_empty() {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if server.address.is_empty() => {}
                // The banner is printed at once: a quiet moment after the address ends it.
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the server exited at start ({status}):\n{}", server.log_tail()));
            }
        }
        if server.address.is_empty() {
            return Err(format!("no banner from the server within {timeout:?}:\n{}", server.log_tail()));
        }
        Ok(server)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET path` over a fresh connection: the status line and the body.
    pub fn get(&self, path: &str) -> Result<(String, String), String> {
        let fail = |error: std::io::Error| format!("GET {path}: {error}");
        let mut stream = TcpStream::connect(&self.address).map_err(fail)?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(fail)?;
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.address).map_err(fail)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).map_err(fail)?;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer.as_str(), ""));
        let status = head.lines().next().unwrap_or_default().to_owned();
        Ok((status, body.to_owned()))
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit (after that it is
    /// killed, and that is an error). Returns the exit status and how long the stop took.
    pub fn stop(mut self, timeout: Duration) -> Result<(ExitStatus, Duration), String> {
        let started = Instant::now();
        let pid = self.pid().to_string();
        let signalled = Command::new("kill").args(["-TERM", &pid]).status();
        if !signalled.as_ref().is_ok_and(ExitStatus::success) {
            let _ = self.child.kill();
            return Err(format!("cannot send SIGTERM to {pid} ({signalled:?}); killed it"));
        }
        while started.elapsed() < timeout {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok((status, started.elapsed())),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(error) => return Err(format!("waiting for the server: {error}")),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err(format!("the server did not stop within {timeout:?} of SIGTERM; killed it:\n{}", self.log_tail()))
    }
}

impl Drop for Server {
    /// A server left running (an early return) is killed, never leaked.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Ticks per second of the CPU times in `/proc/<pid>/stat`: `getconf CLK_TCK`, and whether
/// it was measured (otherwise 100, the value on every Linux platform that matters).
pub fn clock_ticks() -> (f64, bool) {
    let measured = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0);
    measured.map_or((100.0, false), |ticks| (ticks, true))
}

/// User plus system CPU time of a process (`None`: this one), in clock ticks.
pub fn cpu_ticks(pid: Option<u32>) -> Result<u64, String> {
    let path = pid.map_or_else(|| "/proc/self/stat".to_owned(), |pid| format!("/proc/{pid}/stat"));
    let stat = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {path}: {error}"))?;
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let field = |index: usize| fields.get(index).and_then(|value| value.parse::<u64>().ok());
    match (field(11), field(12)) {
        (Some(utime), Some(stime)) => Ok(utime + stime),
        _ => Err(format!("{path}: unexpected format")),
    }
}

/// Resident memory of a process: now (`VmRSS`) and its peak (`VmHWM`), in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Memory {
    /// Resident set size now.
    pub rss_kib: u64,
    /// Highest resident set size so far.
    pub peak_kib: u64,
}

/// Reads `/proc/<pid>/status`.
pub fn memory(pid: u32) -> Result<Memory, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {path}: {error}"))?;
    let kib = |name: &str| {
        status.lines().find_map(|line| line.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
    };
    match (kib("VmRSS:"), kib("VmHWM:")) {
        (Some(rss_kib), Some(peak_kib)) => Ok(Memory { rss_kib, peak_kib }),
        _ => Err(format!("{path}: no VmRSS/VmHWM")),
    }
}

/// One memory sample.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When it was taken.
    pub at: Instant,
    /// What it read.
    pub memory: Memory,
}

/// Samples a process's memory at a fixed interval on a thread of its own, until stopped
/// or until the process is gone.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    /// Starts sampling `pid` every `interval` (the first sample at once).
    pub fn start(pid: u32, interval: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                let Ok(read) = memory(pid) else { break };
                samples.push(Sample { at: Instant::now(), memory: read });
                next += interval;
                while !flag.load(Ordering::Relaxed) && Instant::now() < next {
                    std::thread::sleep(Duration::from_millis(10).min(next.saturating_duration_since(Instant::now())));
                }
            }
            samples
        });
        Self { stop, thread }
    }

    /// Stops sampling and returns the samples, oldest first.
    pub fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// The values of the Prometheus text lines whose name (with labels) starts with `prefix`.
pub fn metric_values<'a>(text: &'a str, prefix: &str) -> Vec<(&'a str, f64)> {
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name, value.parse().ok()?))
        })
        .collect()
}
