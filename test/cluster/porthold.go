package cluster

import "syscall"

// holdPort binds (without listening) a socket to 127.0.0.1:port so that no
// other process is handed the port while kube-apiserver is stopped for a
// fault test: the kernel's port-0 allocator (what freePort and nearly all
// test servers use) skips bound ports, yet with no listener clients still
// get "connection refused", as in a real outage. SO_REUSEADDR lets the bind
// succeed despite the dead server's TIME_WAIT connections; it also lets an
// explicit bind to this very port through, which nobody has a reason to do.
// It returns the socket, or -1 if the port could not be held.
func holdPort(port int) int {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return -1
	}
	return fd
}

func releasePort(fd int) {
	if fd >= 0 {
		syscall.Close(fd)
	}
}
