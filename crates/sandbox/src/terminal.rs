//! The caller's terminal, as it was before the sandbox ran: a command
//! inside shares it, and can leave it changed (output stopped with
//! `tcflow`, `TOSTOP` set, another process group in the foreground), so
//! that `ztguard exec` would stop or hang writing its own report. It is put
//! back before anything is written.

/// The terminal's settings and foreground process group, when standard
/// error is a terminal.
pub struct Terminal {
    fd: libc::c_int,
    attrs: libc::termios,
    foreground: libc::pid_t,
}

impl Terminal {
    /// Save the terminal of standard error (None: it is not one).
    pub fn save() -> Option<Terminal> {
        let fd = libc::STDERR_FILENO;
        // SAFETY: isatty, tcgetattr and tcgetpgrp read into the zeroed
        // struct or return a value; the descriptor is ours.
        unsafe {
            if libc::isatty(fd) != 1 {
                return None;
            }
            let mut attrs: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut attrs) != 0 {
                return None;
            }
            Some(Terminal {
                fd,
                attrs,
                foreground: libc::tcgetpgrp(fd),
            })
        }
    }

    /// Put it back: output resumed, the settings as saved, the saved
    /// process group in the foreground (this process would be stopped
    /// doing that from the background: `SIGTTOU` is ignored meanwhile).
    pub fn restore(&self) {
        // SAFETY: the calls take the saved struct and values; the old
        // disposition of SIGTTOU is put back after.
        unsafe {
            let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            libc::tcflow(self.fd, libc::TCOON);
            if self.foreground > 0 {
                libc::tcsetpgrp(self.fd, self.foreground);
            }
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.attrs);
            libc::signal(libc::SIGTTOU, old);
        }
    }
}
