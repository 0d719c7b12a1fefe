//! `ztguard exec` against the attacks of a red team, on the real kernel:
//! each test is a class of the report's findings, run as the user who runs
//! the tests and, when that is root, also as an unprivileged user (root
//! and `nobody` reach different things).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Env, stderr, stdout};
use serde_json::Value;

fn sandboxed() -> Option<Env> {
    Env::sandboxed()
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

/// Who runs a sandbox: the test's own user, or `nobody` (from root).
#[derive(Clone, Copy, Debug)]
enum Who {
    Me,
    Nobody,
}

/// The users to try: the test's own, and `nobody` when the tests run as root.
fn users() -> Vec<Who> {
    match is_root() {
        true => vec![Who::Me, Who::Nobody],
        false => vec![Who::Me],
    }
}

/// A fresh project for `who`, initialised (`ztguard init --no-hook`), with
/// ztguard copied beside it (where `nobody` can run it).
struct Setup {
    e: Env,
    who: Who,
    bin: PathBuf,
    /// The tree was handed to its user already.
    owned: std::cell::Cell<bool>,
}

impl Setup {
    fn new(who: Who) -> Option<Setup> {
        let e = sandboxed()?;
        let out = e.run(&["init", "--no-hook"], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let root = e.project.parent().unwrap().to_path_buf();
        let bin = root.join("bin/ztguard");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_ztguard"), &bin).unwrap();
        std::fs::write(e.home.join(".bashrc"), "# mine\n").unwrap();
        Some(Setup {
            e,
            who,
            bin,
            owned: std::cell::Cell::new(false),
        })
    }

    /// Hand the whole tree to `nobody` (after the test has planted its files).
    fn own(&self) {
        if let (Who::Nobody, false) = (self.who, self.owned.replace(true)) {
            let root = self.e.project.parent().unwrap();
            let status = Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(root)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    /// A command line that runs `argv` as this setup's user, in the project.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = match self.who {
            Who::Me => Command::new(program),
            Who::Nobody => {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=65534", "--regid=65534", "--clear-groups", program]);
                c
            }
        };
        c.args(args)
            .current_dir(&self.e.project)
            .env_clear()
            .env("HOME", &self.e.home)
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.bin.parent().unwrap().display()),
            )
            .env(
                "ZTGUARD_MANAGED_POLICY",
                self.e.home.join("no-managed.toml"),
            );
        c
    }

    /// Run `script` with sh inside `ztguard exec`.
    fn exec(&self, script: &str) -> Output {
        self.own();
        let bin = self.bin.to_string_lossy().into_owned();
        output(&mut self.command(&bin, &["exec", "--", "sh", "-c", script]))
    }
}

/// Run `c`, again while the copied binary is still "busy": another test
/// thread's fork can hold the copy's write descriptor for a moment.
fn output(c: &mut Command) -> Output {
    for _ in 0..50 {
        match c.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r.unwrap(),
        }
    }
    c.output().unwrap()
}

fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn the_sandbox_cannot_type_into_the_users_terminal() {
    // C1: TIOCSTI on the controlling terminal (or an inherited one) pushes
    // bytes the user's shell reads as a command once `exec` returns.
    let Some(py) = python() else {
        eprintln!("skipping: no python3 to make the ioctl");
        return;
    };
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        std::fs::write(
            s.e.project.join("inject.py"),
            r##"import fcntl, termios, os
for name in ("/dev/tty", "stdin"):
    try:
        fd = os.open("/dev/tty", os.O_RDWR) if name == "/dev/tty" else 0
        fcntl.ioctl(fd, termios.TIOCSTI, b"#")
        print(name, "INJECTED")
    except OSError as e:
        print(name, "refused", e.errno)
"##,
        )
        .unwrap();
        let inject = format!("{py} inject.py; ls /dev/pts | tr '\\n' ' '; echo");
        s.own();
        // `script` gives the run a terminal of its own, as a user's shell has.
        let line = format!("{} exec -- sh -c {}", s.bin.display(), shell_quote(&inject));
        let out = output(&mut s.command("script", &["-qec", &line, "/dev/null"]));
        let text = stdout(&out);
        assert!(
            !text.contains("INJECTED"),
            "{who:?}: {text}\n{}",
            stderr(&out)
        );
        assert!(
            text.contains("stdin refused"),
            "{who:?}: {text}\n{}",
            stderr(&out)
        );
        // No other terminal of the user can be opened to write into it.
        assert!(
            text.contains("ptmx \r\n") || text.contains("ptmx \n"),
            "{who:?}: {text}"
        );
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn the_host_processes_are_out_of_sight_and_none_outlive_the_sandbox() {
    // M4, M5: no PID namespace showed every host command line; a command
    // put in the background outlived `exec`.
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        let mut host = Command::new("sh")
            .args(["-c", "sleep 30; : $0", "FAKE-cmdline-secret-0007"])
            .spawn()
            .unwrap();
        let out = s.exec(
            "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; echo; \
             echo \"pids=$(ls -d /proc/[0-9]* | wc -l)\"; \
             (setsid sleep 33.75 &) ; nohup sleep 33.75 >/dev/null 2>&1 & echo bg",
        );
        let _ = host.kill();
        let _ = host.wait();
        let text = stdout(&out);
        assert!(!text.contains("FAKE-cmdline-secret"), "{who:?}: {text}");
        let pids: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("pids="))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{text}\n{}", stderr(&out)));
        assert!(pids < 10, "{who:?}: {pids} processes in sight: {text}");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let survivors: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|d| std::fs::read(d.path().join("cmdline")).ok())
            .filter(|c| c == b"sleep\x0033.75\x00")
            .map(|c| String::from_utf8_lossy(&c).into_owned())
            .collect();
        assert!(
            survivors.is_empty(),
            "{who:?}: outlived exec: {survivors:?}"
        );
    }
}

#[test]
fn descriptors_of_the_caller_do_not_reach_inside() {
    // M2: a directory descriptor the caller left open got past the masks.
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        s.own();
        let line = format!(
            "exec 9<{}; {} exec -- sh -c 'ls /proc/self/fd | tr \"\\n\" \" \"; echo; cat /proc/self/fd/9/.env; echo \"fd9=$?\"'",
            s.e.project.display(),
            s.bin.display()
        );
        let out = output(&mut s.command("sh", &["-c", &line]));
        let text = stdout(&out);
        assert!(text.contains("fd9=1"), "{who:?}: {text}\n{}", stderr(&out));
        assert!(!text.contains("FAKE-integration"), "{who:?}: {text}");
    }
}

#[test]
fn keyrings_new_namespaces_and_other_kernel_surface_are_refused() {
    // H2 (the caller's session keyring) and L5 (kernel surface).
    let Some(py) = python() else {
        eprintln!("skipping: no python3 to make the calls");
        return;
    };
    if std::env::consts::ARCH != "x86_64" {
        eprintln!("skipping: the system call numbers below are x86_64's");
        return;
    }
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        std::fs::write(
            s.e.project.join("probe.py"),
            r#"import ctypes
l = ctypes.CDLL(None, use_errno=True)
calls = {"keyctl": (250, 0, -3, 0), "add_key": (248, 0, 0, 0), "request_key": (249, 0, 0, 0),
         "perf_event_open": (298, 0, 0, -1), "userfaultfd": (323, 1), "unshare_user": (272, 0x10000000),
         "clone3": (435, 0, 0), "netlink_audit": (41, 16, 3, 9), "netlink_uevent": (41, 16, 3, 15)}
for name, args in calls.items():
    r = l.syscall(*args)
    print(name, "ALLOWED" if r >= 0 else "refused", ctypes.get_errno())
r = l.syscall(41, 16, 3, 0)
print("netlink_route", "ok" if r >= 0 else "refused")
"#,
        )
        .unwrap();
        let probe = format!("{py} probe.py; unshare -U true; echo \"unshare=$?\"");
        let out = s.exec(&probe);
        let text = stdout(&out);
        for name in [
            "keyctl",
            "add_key",
            "request_key",
            "perf_event_open",
            "userfaultfd",
            "unshare_user",
            "netlink_audit",
            "netlink_uevent",
        ] {
            assert!(
                text.contains(&format!("{name} refused 13")),
                "{who:?}: {name}: {text}\n{}",
                stderr(&out)
            );
        }
        assert!(text.contains("clone3 refused 38"), "{who:?}: {text}");
        assert!(text.contains("netlink_route ok"), "{who:?}: {text}");
        assert!(!text.contains("unshare=0"), "{who:?}: {text}");
    }
}

#[test]
fn temp_files_of_the_host_and_the_sandbox_are_apart() {
    // H3: host /tmp and /dev/shm were shared: other temp files readable and
    // changeable, and links planted there redirect the host's later writes.
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        let victim = tempfile::Builder::new()
            .prefix("ztguard-victim")
            .tempdir_in("/tmp")
            .unwrap();
        let token = victim.path().join("token");
        std::fs::write(&token, "FAKE-tmp-secret-0005\n").unwrap();
        if let Who::Nobody = who {
            let _ = Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(victim.path())
                .status();
        }
        let shm = PathBuf::from(format!("/dev/shm/ztguard-test-{}", std::process::id()));
        let _ = std::fs::write(&shm, "FAKE-shm-secret\n");
        let planted = format!("/tmp/ztguard-planted-{}", std::process::id());
        let out = s.exec(&format!(
            "cat {t}; echo \"read=$?\"; echo tampered >> {t}; ls /tmp | wc -l; cat {shm}; echo \"shm=$?\"; \
             ln -s {home}/.bashrc {planted}; echo \"link=$?\"; echo x > /dev/shm/inside; echo \"shmw=$?\"",
            t = token.display(),
            shm = shm.display(),
            home = s.e.home.display(),
        ));
        let text = stdout(&out);
        let _ = std::fs::remove_file(&shm);
        assert!(!text.contains("FAKE-tmp-secret"), "{who:?}: {text}");
        assert!(!text.contains("FAKE-shm-secret"), "{who:?}: {text}");
        assert!(
            text.contains("link=0") && text.contains("shmw=0"),
            "{who:?}: {text}\n{}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(&token).unwrap(),
            "FAKE-tmp-secret-0005\n"
        );
        assert!(
            std::fs::symlink_metadata(&planted).is_err(),
            "{who:?}: the link reached the host's /tmp"
        );
        assert!(!Path::new("/dev/shm/inside").exists());
    }
}

#[test]
fn modes_cannot_change_outside_the_writable_trees() {
    // Landlock does not cover chmod: `chmod -R 000 ~` inside set the host
    // home to 000; the guard's state, the startup files, a sibling of the
    // project and the masking placeholder (H1) could be opened up too.
    use std::os::unix::fs::PermissionsExt;
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        let root = s.e.project.parent().unwrap().to_path_buf();
        let sibling = root.join("sibling");
        std::fs::create_dir_all(&sibling).unwrap();
        std::fs::create_dir_all(s.e.home.join(".cargo/bin")).unwrap();
        std::fs::write(s.e.home.join(".cargo/bin/tool"), "#!/bin/sh\n").unwrap();
        let out = s.exec(&format!(
            "for p in {home} {home}/.bashrc {home}/.cargo/bin/tool {home}/.local/share/ztguard {sib} /usr/bin/env .ztguard.toml; do \
               chmod 000 \"$p\" 2>/dev/null && echo \"CHANGED $p\"; done; \
             chmod 666 .env; echo secret-now > .env; cat .env; echo \"env=$?\"",
            home = s.e.home.display(),
            sib = sibling.display(),
        ));
        let text = stdout(&out);
        assert!(
            !text.contains("CHANGED"),
            "{who:?}: {text}\n{}",
            stderr(&out)
        );
        assert!(
            text.contains("env=1") && !text.contains("secret-now"),
            "{who:?}: {text}"
        );
        for p in [
            s.e.home.clone(),
            s.e.home.join(".bashrc"),
            sibling.clone(),
            s.e.project.join(".env"),
        ] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_ne!(mode, 0, "{who:?}: {} changed", p.display());
        }
        assert_eq!(
            std::fs::read_to_string(s.e.project.join(".env")).unwrap(),
            "API_KEY=FAKE-integration-0000\n"
        );
        // The project itself stays the command's to change.
        let out = s.exec("chmod 600 Cargo.toml && echo own=ok");
        assert!(stdout(&out).contains("own=ok"), "{who:?}: {}", stderr(&out));
    }
}

#[test]
fn a_project_on_a_nosuid_nodev_noexec_mount_runs() {
    // Read-only remounts that dropped the locked flags of the mount they
    // lay on were refused by the kernel: `exec` could not start at all.
    if !is_root() {
        eprintln!("skipping: mounting a file system needs root");
        return;
    }
    let Some(s) = Setup::new(Who::Me) else {
        return;
    };
    let mnt = s.e.project.parent().unwrap().join("locked");
    std::fs::create_dir_all(&mnt).unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "nosuid,nodev,noexec,size=16m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(status.success());
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let project = mnt.join("p");
    std::fs::create_dir_all(project.join(".git/hooks")).unwrap();
    std::fs::write(project.join(".git/config"), "[core]\n").unwrap();
    std::fs::write(project.join(".env"), "TOKEN=FAKE-locked-0001\n").unwrap();
    let out =
        s.e.cmd(&["init", "--no-hook"])
            .current_dir(&project)
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = s
        .e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "echo x >> .ztguard.toml; echo \"policy=$?\"; cat .env; echo \"env=$?\"; echo ok > made; echo \"made=$?\"",
        ])
        .current_dir(&project)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("made=0") && text.contains("env=1"), "{text}");
    assert!(!text.contains("policy=0"), "{text}");
}

/// Does `exec -v` say that memory is not limited?
fn ztguard_says_memory_is_unlimited(s: &Setup) -> bool {
    let bin = s.bin.to_string_lossy().into_owned();
    let out = output(&mut s.command(&bin, &["exec", "-v", "--", "true"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stderr(&out).contains("memory not limited")
}

#[test]
fn the_sandbox_has_memory_and_task_limits_where_a_control_group_can_be_made() {
    // M5: no memory or task limit. Root (or a delegated cgroup v2) gets a
    // control group; every user gets the per-namespace process limit.
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        let out = s.exec(
            "grep -E ':(memory|pids)?:' /proc/self/cgroup; grep 'Max processes' /proc/self/limits",
        );
        let text = stdout(&out);
        assert!(
            text.lines()
                .any(|l| l.starts_with("Max processes") && l.contains(" 8192 ")),
            "{who:?}: {text}\n{}",
            stderr(&out)
        );
        // `sandbox status` says for this user whether memory is limited,
        // as exec found it.
        let bin = s.bin.to_string_lossy().into_owned();
        let status = output(&mut s.command(&bin, &["sandbox", "status", "--json"]));
        let v: Value = serde_json::from_slice(&status.stdout).expect("status json");
        let grouped = text.contains("ztguard-exec-");
        let said = v["not_enforced"].to_string();
        assert!(
            said.contains(if grouped {
                "memory and processes are limited"
            } else {
                "no control group can be made here"
            }),
            "{who:?}: {said} (in a group: {grouped})"
        );
        let warned = ztguard_says_memory_is_unlimited(&s);
        assert_eq!(warned, !grouped, "{who:?}: exec -v and the group disagree");
        if let (Who::Me, true) = (who, is_root()) {
            let memory = text
                .lines()
                .find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_string()))
                .or_else(|| {
                    text.lines()
                        .find_map(|l| l.strip_prefix("0::").map(str::to_string))
                });
            let Some(group) = memory.filter(|g| g.contains("ztguard-exec-")) else {
                eprintln!("no control group on this machine: {text}");
                continue;
            };
            let dir = Path::new("/sys/fs/cgroup/memory").join(group.trim().trim_start_matches('/'));
            assert!(
                !dir.exists(),
                "the group is removed when exec ends: {}",
                dir.display()
            );
        }
    }
}

#[test]
fn started_by_root_the_sandbox_is_never_kernel_uid_0() {
    // C4: root was mapped to uid 1000 inside but stayed kernel uid 0, the
    // owner of every root file (/etc/shadow through its owner bits).
    if !is_root() {
        eprintln!("skipping: this is about runs started by root");
        return;
    }
    let Some(s) = Setup::new(Who::Me) else {
        return;
    };
    let mut c =
        s.e.cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "echo started > started; exec sleep 30.125",
        ])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let uid = loop {
        let found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|d| {
            let cmd = std::fs::read(d.path().join("cmdline")).ok()?;
            (cmd == b"sleep\x0030.125\x00")
                .then(|| std::fs::read_to_string(d.path().join("status")).ok())?
        });
        if let Some(status) = found {
            break status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|u| u.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                .unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the command never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _ = c.kill();
    let _ = c.wait();
    assert!(uid.iter().all(|u| u != "0"), "kernel uids {uid:?}");
    let out = s.exec(
        "id -u; for f in /etc/shadow /etc/gshadow; do [ -e $f ] && { head -c 1 $f >/dev/null 2>&1 && echo \"READ $f\" || echo \"refused $f\"; }; done; \
         echo x > made; echo \"made=$?\"",
    );
    let text = stdout(&out);
    assert!(!text.contains("READ"), "{text}\n{}", stderr(&out));
    assert!(text.contains("made=0"), "{text}\n{}", stderr(&out));
    use std::os::unix::fs::MetadataExt;
    let made = std::fs::metadata(s.e.project.join("made")).unwrap();
    assert_eq!(
        (made.uid(), made.gid()),
        (0, 0),
        "files it makes are root's on disk"
    );
}

#[test]
fn what_claude_code_runs_outside_is_not_the_sandboxs_to_change() {
    // Beyond the report: Claude Code outside runs the scripts its settings
    // name (a status line, a hook script), a local install its alias
    // starts, and sources its session's shell snapshot before each command.
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        let state = s.e.home.join(".claude");
        std::fs::create_dir_all(state.join("local")).unwrap();
        std::fs::create_dir_all(state.join("shell-snapshots")).unwrap();
        std::fs::write(state.join("local/claude"), "#!/bin/sh\n").unwrap();
        std::fs::write(state.join("statusline.sh"), "#!/bin/sh\necho status\n").unwrap();
        std::fs::write(
            state.join("shell-snapshots/snapshot-bash-1.sh"),
            "# host session\n",
        )
        .unwrap();
        std::fs::write(
            state.join("settings.json"),
            r#"{"statusLine": {"type": "command", "command": "bash ~/.claude/statusline.sh"}}"#,
        )
        .unwrap();
        let out = s.exec(
            "for f in ~/.claude/statusline.sh ~/.claude/local/claude ~/.claude/shell-snapshots/snapshot-bash-1.sh; do \
               echo 'touch /tmp/pwned' >> \"$f\" 2>/dev/null && echo \"wrote $f\"; done; \
             echo x > ~/.claude/shell-snapshots/new.sh && echo private=ok; ls /run/user >/dev/null 2>&1; echo \"runuser=$?\"",
        );
        let text = stdout(&out);
        for f in [
            "statusline.sh",
            "local/claude",
            "shell-snapshots/snapshot-bash-1.sh",
        ] {
            let body = std::fs::read_to_string(state.join(f)).unwrap();
            assert!(!body.contains("pwned"), "{who:?}: {f} changed: {text}");
        }
        assert!(
            text.contains("private=ok"),
            "{who:?}: {text}\n{}",
            stderr(&out)
        );
        assert!(!state.join("shell-snapshots/new.sh").exists(), "{who:?}");
        // The users' runtime directories under /run are not the sandbox's.
        if Path::new("/run/user").exists() {
            assert!(
                !text.contains("runuser=0"),
                "{who:?}: /run/user listed: {text}"
            );
        }
    }
}

#[test]
fn configuration_planted_anywhere_in_the_project_is_put_aside() {
    // Beyond the first report: a repository-shaped directory under target/,
    // a crate's own .cargo/config.toml, a root .yarnrc.yml: the host's git,
    // cargo and yarn would run what they say.
    for who in users() {
        let Some(s) = Setup::new(who) else {
            return;
        };
        let kept = s.e.project.join("crate/.cargo/config.toml");
        std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
        std::fs::write(&kept, "[build]\njobs = 2\n").unwrap();
        // Older than the run: not the run's.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        let _ = std::fs::File::open(&kept).and_then(|f| f.set_modified(old));
        s.own();
        std::thread::sleep(std::time::Duration::from_millis(2500));
        let out = s.exec(
            "mkdir -p target/debug/x/objects target/debug/x/refs && echo 'ref: refs/heads/main' > target/debug/x/HEAD && \
             printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' > target/debug/x/config; \
             mkdir -p crate2/.cargo && printf '[build]\\nrustc-wrapper = \"/tmp/w\"\\n' > crate2/.cargo/config.toml; \
             printf 'yarnPath: ./evil.cjs\\n' > .yarnrc.yml; mkdir -p deep/a/b/c && echo 'gitdir: /tmp/x' > deep/a/b/c/.git; echo done",
        );
        let (text, err) = (stdout(&out), stderr(&out));
        assert!(text.contains("done"), "{who:?}: {text}\n{err}");
        for planted in [
            "target/debug/x",
            "crate2/.cargo",
            ".yarnrc.yml",
            "deep/a/b/c/.git",
        ] {
            assert!(
                std::fs::symlink_metadata(s.e.project.join(planted)).is_err(),
                "{who:?}: {planted} left in the project\n{err}"
            );
            assert!(
                err.contains(planted),
                "{who:?}: {planted} not reported: {err}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&kept).unwrap(),
            "[build]\njobs = 2\n",
            "{who:?}: configuration older than the run is left alone"
        );
    }
}

#[test]
fn a_terminal_left_stopped_does_not_silence_the_report() {
    // Second red-team pass: output stopped (tcflow) and TOSTOP set on the
    // shared terminal made `exec` hang or stop before its report and record.
    let Some(py) = python() else {
        eprintln!("skipping: no python3 to change the terminal");
        return;
    };
    let Some(s) = Setup::new(Who::Me) else {
        return;
    };
    std::fs::write(
        s.e.project.join("tty.py"),
        r#"import termios, os
fd = os.open("/dev/tty", os.O_RDWR)
a = termios.tcgetattr(fd)
a[3] |= termios.TOSTOP
termios.tcsetattr(fd, termios.TCSANOW, a)
termios.tcflow(fd, termios.TCOOFF)
open(".yarnrc.yml", "w").write("yarnPath: ./x.cjs\n")
"#,
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let line = format!("{} exec -- {py} tty.py; echo EXIT=$?", s.bin.display());
    let out = output(&mut s.command("timeout", &["60", "script", "-qec", &line, "/dev/null"]));
    let text = stdout(&out).replace('\r', "");
    assert!(text.contains("EXIT=0"), "{text}\n{}", stderr(&out));
    assert!(text.contains(".yarnrc.yml: undone"), "{text}");
    assert!(!s.e.project.join(".yarnrc.yml").exists());
}

#[test]
fn npm_gets_a_cache_of_its_own() {
    // Friction found by the second pass: `npm install` failed on a
    // read-only ~/.npm. It gets a private one per project, like ~/.cache.
    let Some(s) = Setup::new(Who::Me) else {
        return;
    };
    let out =
        s.exec("mkdir -p ~/.npm/_cacache/tmp && echo x > ~/.npm/_cacache/tmp/f && echo npm=ok");
    assert!(stdout(&out).contains("npm=ok"), "{}", stderr(&out));
    assert!(
        !s.e.home.join(".npm/_cacache").exists(),
        "the host's ~/.npm is not the sandbox's"
    );
    let again = s.exec("cat ~/.npm/_cacache/tmp/f");
    assert_eq!(
        stdout(&again).trim(),
        "x",
        "kept for the project's next run"
    );
}

#[test]
fn started_by_root_from_a_closed_directory_ztguard_still_runs_inside() {
    // `cargo install` puts ztguard in /root/.cargo/bin, under a 0700 /root
    // that the sandbox's own uid could not enter when the home given is
    // another one: the hook and `ztguard run` inside failed.
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        eprintln!("skipping: this is about runs started by root");
        return;
    }
    let Some(s) = Setup::new(Who::Me) else {
        return;
    };
    let closed = s.e.project.parent().unwrap().join("closed");
    std::fs::create_dir_all(closed.join("bin")).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let bin = closed.join("bin/ztguard");
    std::fs::copy(&s.bin, &bin).unwrap();
    let mut c = s.command(
        &bin.to_string_lossy(),
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "ztguard --version && echo inside=ok",
        ],
    );
    c.env(
        "PATH",
        format!("{}:/usr/bin:/bin", closed.join("bin").display()),
    );
    let out = output(&mut c);
    assert!(
        stdout(&out).contains("inside=ok"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}
