//! `osteosim serve` over loopback: the page, the catalogue, a run whose CSV equals
//! `osteosim run` on the same scenario, errors that name their field, limits, a small trial.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");

/// The server, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start osteosim serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the address line");
        // "... listening on http://127.0.0.1:PORT/ ..."
        let port = line
            .split("127.0.0.1:")
            .nth(1)
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// (status, headers, body) of one request.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("response");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers end");
        let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
        let status = headers[9..12].parse().expect("status");
        let mut body = raw[split + 4..].to_vec();
        if headers
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        (status, headers, body)
    }

    fn json(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (status, _, bytes) = self.request(method, path, body.as_bytes());
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{path}: not JSON: {}", String::from_utf8_lossy(&bytes)));
        (status, v)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM lets the server remove its work directory; kill it if it does not stop.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
    out
}

const SCENARIO: &str = "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 60.0\n\n\
    [[treatment]]\ndrug = \"denosumab\"\ndose_mg = 60.0\nroute = \"subcutaneous\"\nevery_days = 182.0\n\n\
    [simulation]\nduration_days = 1095.0\noutput_every_days = 30.0\n";

#[test]
fn the_page_runs_scenarios_and_names_the_field_of_each_error() {
    let server = Server::start();
    let (status, headers, page) = server.request("GET", "/", b"");
    assert_eq!(status, 200);
    assert!(headers.to_ascii_lowercase().contains("text/html"));
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("uPlot") && page.contains("OsteosimPlots") && !page.contains(" src=\""));

    let (status, catalogue) = server.json("GET", "/api/catalogue", "");
    assert_eq!(status, 200);
    assert!(catalogue["drugs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == "denosumab"));
    assert!(catalogue["genotypes"]
        .as_array()
        .is_some_and(|g| !g.is_empty()));

    // A run: its CSV download is byte for byte what `osteosim run` writes.
    let (status, run) = server.json("POST", "/api/run", SCENARIO);
    assert_eq!(status, 200, "{run}");
    assert!(run["data"]["plots"]
        .as_array()
        .is_some_and(|p| p.len() > 10));
    let csv_url = run["downloads"]["csv"].as_str().unwrap().to_string();
    let (status, headers, csv) = server.request("GET", &csv_url, b"");
    assert_eq!(status, 200);
    assert!(headers.contains("attachment"));
    let dir = std::env::temp_dir().join(format!("osteosim-serve-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
    let cli = Command::new(BIN)
        .arg("run")
        .arg(dir.join("s.toml"))
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(0));
    assert!(
        std::fs::read(dir.join("out").join("timeseries.csv")).unwrap() == csv,
        "the served CSV equals the command line's"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let id = run["id"].as_u64().unwrap();
    let (status, _, toml) = server.request("GET", &format!("/api/runs/{id}/scenario.toml"), b"");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&toml).contains("drug = \"denosumab\""));
    let (status, _, html) = server.request("GET", &format!("/api/runs/{id}/report.html"), b"");
    assert_eq!(status, 200);
    assert!(osteosim_report::embedded_data(&String::from_utf8_lossy(&html)).is_some());

    // A bad dose: the error names the field.
    let (status, bad) = server.json(
        "POST",
        "/api/run",
        &SCENARIO.replace("dose_mg = 60.0", "dose_mg = -5.0"),
    );
    assert_eq!(status, 422);
    assert_eq!(bad["errors"][0]["key"], "treatment[0].dose_mg");
    assert!(bad["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("negative"));
    // Limits: a run too long, a body too large, an unknown file, a trial too large.
    let (status, long) = server.json(
        "POST",
        "/api/run",
        &SCENARIO.replace("duration_days = 1095.0", "duration_days = 100000.0"),
    );
    assert_eq!(status, 422);
    assert_eq!(long["errors"][0]["key"], "simulation.duration_days");
    let (status, _, _) = server.request("POST", "/api/run", &vec![b'#'; 200 * 1024]);
    assert_eq!(status, 413);
    let (status, _, _) = server.request(
        "GET",
        &format!("/api/runs/{id}/..%2F..%2Fetc%2Fpasswd"),
        b"",
    );
    assert_eq!(status, 404);
    let (status, big) = server.json(
        "POST",
        "/api/trial",
        "[population]\nsize = 5000\n[[arm]]\nname = \"a\"\n[simulation]\nduration_days = 365.0\n",
    );
    assert_eq!(status, 422);
    assert_eq!(big["errors"][0]["key"], "population.size");
}

#[test]
fn a_small_trial_reports_its_progress_and_finishes() {
    let server = Server::start();
    let trial = "[population]\nsize = 24\nseed = 3\nspecies = \"human\"\nsex = \"female\"\n\
        age_years = { mean = 65.0, sd = 5.0, min = 55.0, max = 75.0 }\n\
        menopause_age_years = { mean = 51.0, sd = 2.0, min = 44.0, max = 58.0 }\n\
        [[arm]]\nname = \"untreated\"\n[[arm]]\nname = \"treated\"\n[[arm.treatment]]\n\
        drug = \"denosumab\"\ndose_mg = 60.0\nevery_days = 182.0\n\
        [simulation]\nduration_days = 365.0\noutput_every_days = 30.0\n";
    let (status, job) = server.json("POST", "/api/trial", trial);
    assert_eq!(status, 202, "{job}");
    let url = job["status"].as_str().unwrap().to_string();
    let started = Instant::now();
    let done = loop {
        let (status, s) = server.json("GET", &url, "");
        assert_eq!(status, 200);
        assert!(s["done_chunks"].as_u64() <= s["chunks"].as_u64());
        match s["state"].as_str() {
            Some("done") => break s,
            Some("failed") => panic!("the trial failed: {s}"),
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the trial did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(done["subjects"].as_u64(), Some(24));
    assert!(done["data"]["datasets"]["arm treated"].is_object());
    let arms = done["downloads"]["arms"].as_str().unwrap().to_string();
    let (status, _, csv) = server.request("GET", &arms, b"");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&csv).starts_with("arm,day,column,mean,sd,p5,p50,p95"));
}
