//! A private PostgreSQL server for tests and benchmarks: its own cluster in a temporary folder,
//! on a free loopback port, with a generated password kept in a file (never on a command line).
//!
//! No system service is assumed: the cluster is made with Debian's `initdb` and run as a child
//! of a thread that lives as long as the process, with a parent-death signal, so it stops with
//! the test process however that ends. As root (CI) it runs as the `postgres` user that
//! Debian's package creates, since PostgreSQL refuses to run as root.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The database user the clusters are made with.
pub const USER: &str = "vetter";

/// A running private cluster.
pub struct Cluster {
    /// The cluster's folder (data, socket, log, password file).
    pub dir: PathBuf,
    /// Its loopback port.
    pub port: u16,
    password_file: PathBuf,
    child: Mutex<Option<Child>>,
    databases: Mutex<HashMap<String, String>>,
}

/// Why a cluster could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start a private PostgreSQL cluster: {0}")]
pub struct ClusterError(pub String);

fn fail(what: impl Into<String>) -> ClusterError {
    ClusterError(what.into())
}

/// The folder holding `initdb` and `postgres`: `VETTER_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout).
pub fn bin_dir() -> Result<PathBuf, ClusterError> {
    if let Some(dir) = std::env::var_os("VETTER_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            fail(format!(
                "no /usr/lib/postgresql ({e}): run scripts/setup, which installs PostgreSQL"
            ))
        })?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| fail("no /usr/lib/postgresql/*/bin/initdb: run scripts/setup"))
}

fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

fn id_of(flag: &str) -> Result<u32, ClusterError> {
    let out = Command::new("id")
        .args([flag, "postgres"])
        .output()
        .map_err(|e| fail(format!("id: {e}")))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| fail("running as root needs the `postgres` user that Debian's postgresql package creates"))
}

/// `setpriv` in front of a PostgreSQL program: as root, switches to `postgres`; always sets
/// `pdeath` as the parent-death signal when given.
fn program(bin: &Path, name: &str, pdeath: Option<&str>) -> Command {
    let mut cmd = Command::new("setpriv");
    if is_root() {
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
    }
    if let Some(signal) = pdeath {
        cmd.arg(format!("--pdeathsig={signal}"));
    }
    cmd.arg("--").arg(bin.join(name));
    cmd
}

fn random_password() -> String {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the OS gives random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removes cluster folders left by processes that are gone (their servers died with them).
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name
            .strip_prefix("vetter-pg-")
            .and_then(|p| p.split('-').next())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Cluster {
    /// Makes and starts a new cluster. `durable` keeps PostgreSQL's defaults (fsync, synchronous
    /// commit) for benchmarks; tests turn them off, which only matters if the machine crashes.
    pub fn start(durable: bool) -> Result<Cluster, ClusterError> {
        let bin = bin_dir()?;
        let parent = std::env::temp_dir();
        sweep_stale(&parent);
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = parent.join(format!(
            "vetter-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        let password = random_password();
        let password_file = dir.join("password");
        write_private(&password_file, &password)?;
        // The cluster's own files belong to the user PostgreSQL runs as.
        let data = dir.join("data");
        let pg_dir = dir.join("pg");
        std::fs::create_dir_all(&pg_dir).map_err(|e| fail(e.to_string()))?;
        let pg_password = pg_dir.join("initdb-password");
        write_private(&pg_password, &password)?;
        if is_root() {
            let (uid, gid) = (id_of("-u")?, id_of("-g")?);
            for p in [&dir, &pg_dir, &pg_password] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))
                    .map_err(|e| fail(format!("chown {}: {e}", p.display())))?;
            }
            // The test process keeps its own copy of the password, readable only by it.
        }
        let out = program(&bin, "initdb", None)
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", pg_password.display()))
            .output()
            .map_err(|e| fail(format!("setpriv/initdb: {e}")))?;
        let _ = std::fs::remove_file(&pg_password);
        if !out.status.success() {
            return Err(fail(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let child = Self::spawn(&bin, &data, &pg_dir, port, durable)?;
            let cluster = Cluster {
                dir: dir.clone(),
                port,
                password_file: password_file.clone(),
                child: Mutex::new(Some(child)),
                databases: Mutex::new(HashMap::new()),
            };
            match cluster.wait_ready() {
                Ok(()) => return Ok(cluster),
                Err(e) => last = e.0,
            }
        }
        Err(fail(format!("the server did not come up: {last}")))
    }

    fn spawn(
        bin: &Path,
        data: &Path,
        socket_dir: &Path,
        port: u16,
        durable: bool,
    ) -> Result<Child, ClusterError> {
        let mut cmd = program(bin, "postgres", Some("QUIT"));
        cmd.arg("-D")
            .arg(data)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .args(["-c", "max_connections=300"])
            .args(["-c", "shared_buffers=64MB"]);
        if !durable {
            cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off"]);
        }
        let log = std::fs::File::create(socket_dir.join("postgres.log"))
            .map_err(|e| fail(e.to_string()))?;
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        // Spawned from a thread that never ends: the parent-death signal follows the thread
        // that forked, so a test thread ending must not stop the server.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(cmd.spawn());
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .map_err(|_| fail("the keeper thread died"))?
            .map_err(|e| fail(format!("setpriv/postgres: {e}")))
    }

    fn wait_ready(&self) -> Result<(), ClusterError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.client("postgres") {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let exited = self
                        .child
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .as_mut()
                        .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
                    if exited || Instant::now() > deadline {
                        let log = std::fs::read_to_string(self.dir.join("pg/postgres.log"))
                            .unwrap_or_default();
                        return Err(fail(format!("{e}; log: {log}")));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// The password file for `vetter-server --database-password-file`.
    pub fn password_file(&self) -> &Path {
        &self.password_file
    }

    /// The connection URL of `database` (no password in it).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// A client connected to `database`.
    pub fn client(&self, database: &str) -> Result<postgres::Client, ClusterError> {
        let password =
            std::fs::read_to_string(&self.password_file).map_err(|e| fail(e.to_string()))?;
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user(USER)
            .password(password.trim())
            .dbname(database)
            .connect_timeout(Duration::from_secs(5))
            .connect(postgres::NoTls)
            .map_err(|e| fail(e.to_string()))
    }

    /// The database kept for `key` (a data folder, a test name), created empty the first time:
    /// a server restarted on the same key finds its data again.
    pub fn database_for(&self, key: &str) -> Result<String, ClusterError> {
        let mut databases = self.databases.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(name) = databases.get(key) {
            return Ok(name.clone());
        }
        let name = format!("vetter_{}", databases.len() + 1);
        self.client("postgres")?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| fail(format!("CREATE DATABASE {name}: {e}")))?;
        databases.insert(key.to_owned(), name.clone());
        Ok(name)
    }

    /// `vetter-server` arguments that put a server on `key`'s database.
    pub fn server_args(&self, key: &str) -> Result<Vec<String>, ClusterError> {
        let name = self.database_for(key)?;
        Ok(vec![
            "--database".to_owned(),
            self.url(&name),
            "--database-password-file".to_owned(),
            self.password_file.display().to_string(),
        ])
    }

    /// The resident memory of the postmaster and its backends, in kB (from /proc).
    pub fn rss_kb(&self) -> u64 {
        let Some(pid) = self
            .child
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(Child::id)
        else {
            return 0;
        };
        let mut total = rss_of(pid);
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                total += rss_of(child);
            }
        }
        total
    }
}

/// A process's resident set size in kB (`VmRSS` of /proc/PID/status), 0 if it is gone.
pub fn rss_of(pid: u32) -> u64 {
    status_kb(pid, "VmRSS:")
}

/// A process's peak resident set size in kB (`VmHWM`), 0 if it is gone.
pub fn peak_rss_of(pid: u32) -> u64 {
    status_kb(pid, "VmHWM:")
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // SIGQUIT through setpriv's exec: postgres is the child itself.
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), ClusterError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    writeln!(f, "{text}").map_err(|e| fail(e.to_string()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(55432)
}

/// The cluster this process shares among its tests (started on first use, stopped when the
/// process ends).
pub fn shared() -> Result<&'static Cluster, ClusterError> {
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| Cluster::start(false).map_err(|e| e.0))
        .as_ref()
        .map_err(|e| ClusterError(e.clone()))
}

/// Whether this test run puts the reference server on PostgreSQL (`VETTER_TEST_DATABASE=postgres`).
pub fn requested() -> bool {
    std::env::var("VETTER_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}
