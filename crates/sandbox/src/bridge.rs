//! The bridge: listeners inside the sandbox's network namespace, served
//! from outside it.
//!
//! The child, right after it has its new namespaces (and with them the
//! capabilities to configure its own network), brings `lo` up, binds a
//! listener on 127.0.0.1 for each port and passes each one to this process
//! over a Unix socket pair (`SCM_RIGHTS`). A socket keeps the namespace it
//! was made in, so this process, outside, accepts connections made inside.
//! Nothing needs `setns`, which would take `CAP_SYS_ADMIN` in this
//! process's own user namespace: it works for an unprivileged user.
//!
//! Everything the child does here is system calls on buffers on its stack.

use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::proxy::Allow;
use crate::spawn::Service;

/// What a sandbox with a private network can reach: the filtering proxy
/// (with [`crate::Network::Proxy`]) and the services (ztguard's broker, the
/// model API gateway). Each listener is bound inside the child's network
/// namespace and served by threads of this process, outside the sandbox.
#[derive(Default)]
pub struct Bridge {
    /// The proxy's host check; required with [`crate::Network::Proxy`].
    pub allow: Option<Allow>,
    pub services: Vec<Service>,
}

/// The child's side of a started bridge: where to send the listeners, and
/// which ports to bind (at most [`MAX_PORTS`]).
pub(crate) struct ChildEnd {
    pub socket: OwnedFd,
    pub ports: [u16; MAX_PORTS],
    pub count: usize,
}

/// More than ztguard needs (proxy, broker, gateway).
pub(crate) const MAX_PORTS: usize = 8;

/// Start the thread that receives the child's listeners and serves them.
pub(crate) fn start(bridge: Bridge, proxy: bool) -> Result<ChildEnd, String> {
    let mut fds = [0; 2];
    // SAFETY: socketpair fills the two-element array it is given.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } != 0
    {
        return Err(format!("socketpair: {}", io::Error::last_os_error()));
    }
    // SAFETY: both descriptors were just created and are owned here alone.
    let (ours, theirs) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut ports: Vec<u16> = bridge.services.iter().map(|(port, _)| *port).collect();
    if proxy {
        ports.push(crate::proxy::PORT);
    }
    if ports.len() > MAX_PORTS {
        return Err(format!("at most {MAX_PORTS} bridged ports"));
    }
    let mut end = ChildEnd {
        socket: theirs,
        ports: [0; MAX_PORTS],
        count: ports.len(),
    };
    end.ports[..ports.len()].copy_from_slice(&ports);
    std::thread::spawn(move || {
        let mut listeners = Vec::new();
        for _ in 0..ports.len() {
            match receive(ours.as_raw_fd()) {
                Ok(Some(fd)) => listeners.push(TcpListener::from(fd)),
                // The child failed before binding them all; it reports why.
                _ => return,
            }
        }
        if proxy && let (Some(listener), Some(allow)) = (listeners.pop(), bridge.allow) {
            crate::proxy::serve(listener, allow);
        }
        for ((_, serve), listener) in bridge.services.into_iter().zip(listeners) {
            serve(listener);
        }
    });
    Ok(end)
}

/// In the child, in its new network namespace: `lo` up, then a listener on
/// 127.0.0.1 for each port, each sent to the parent.
///
/// # Safety
/// Only system calls; call between `fork` and `exec`.
pub(crate) unsafe fn bind_and_send(to: RawFd, ports: &[u16]) -> io::Result<()> {
    crate::proxy::loopback_up()?;
    for port in ports {
        // SAFETY: plain socket calls on a descriptor owned here and a
        // sockaddr_in on the stack.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let listener = OwnedFd::from_raw_fd(fd);
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_port = port.to_be();
            addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
            if libc::bind(
                listener.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            ) != 0
                || libc::listen(listener.as_raw_fd(), 128) != 0
            {
                return Err(io::Error::last_os_error());
            }
            send(to, listener.as_raw_fd())?;
        }
    }
    Ok(())
}

/// Room for one descriptor's control message, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct ControlBuffer([u8; 32]);

/// The buffers of a one-byte message that carries one descriptor.
struct Message {
    byte: [u8; 1],
    iov: libc::iovec,
    control: ControlBuffer,
    header: libc::msghdr,
}

impl Message {
    /// A message whose header points at its own buffers; it must not move
    /// after this (it lives on the caller's stack until the call ends).
    ///
    /// # Safety
    /// Only writes to `self`.
    unsafe fn wire(&mut self, control_len: usize) -> *mut libc::msghdr {
        self.iov.iov_base = self.byte.as_mut_ptr().cast();
        self.iov.iov_len = 1;
        self.header.msg_iov = &mut self.iov;
        self.header.msg_iovlen = 1;
        self.header.msg_control = self.control.0.as_mut_ptr().cast();
        self.header.msg_controllen = control_len as _;
        &mut self.header
    }

    fn new() -> Message {
        // SAFETY: all-zero is a valid iovec and msghdr (null pointers, zero lengths).
        unsafe { std::mem::zeroed() }
    }
}

/// Send `fd` over the Unix socket `to`.
///
/// # Safety
/// Only system calls on stack buffers.
unsafe fn send(to: RawFd, fd: RawFd) -> io::Result<()> {
    // SAFETY: the message points at stack buffers that outlive the call;
    // the control buffer is large and aligned enough for one descriptor.
    unsafe {
        let mut m = Message::new();
        let msg = m.wire(libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize);
        let cmsg = libc::CMSG_FIRSTHDR(msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
        if libc::sendmsg(to, msg, 0) != 1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Receive one descriptor; None at the end of the stream.
fn receive(from: RawFd) -> io::Result<Option<OwnedFd>> {
    // SAFETY: as in `send`; the received descriptor is close-on-exec and
    // owned by the returned OwnedFd alone.
    unsafe {
        let mut m = Message::new();
        let msg = m.wire(std::mem::size_of::<ControlBuffer>());
        let n = libc::recvmsg(from, msg, libc::MSG_CMSG_CLOEXEC);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n == 0 {
            return Ok(None);
        }
        let cmsg = libc::CMSG_FIRSTHDR(msg);
        if cmsg.is_null()
            || (*cmsg).cmsg_level != libc::SOL_SOCKET
            || (*cmsg).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(io::Error::other("no descriptor in the message"));
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>());
        Ok(Some(OwnedFd::from_raw_fd(fd)))
    }
}
