package nginx

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// WorkerIdentity is the user and group nginx's workers run as.
//
// nginx reads most files in its master, at start and reload, and that is
// root when the controller runs as root (the local setup): certificates
// and keys stay 0600 root's. But auth_basic_user_file is opened by a
// worker at each request, and as root nginx starts its workers as an
// unprivileged user, so a 0600 password file answers every request with
// 500. The controller therefore names the workers' user in nginx.conf
// (the `user` directive, the same user nginx would pick itself) and gives
// exactly the files workers read to that user's group, mode 0640: readable
// by the workers, not by other local users. As non-root (the container
// image) master and workers share one user and nothing is needed.
type WorkerIdentity struct {
	User, Group string
	GID         int
}

// workerUserName is the user nginx's build defaults to (Debian's: nobody,
// with its primary group, nogroup).
const workerUserName = "nobody"

// DefaultWorkerIdentity returns who the workers run as when nginx is
// started by root, or nil when it is not (they then run as our user).
func DefaultWorkerIdentity() (*WorkerIdentity, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(workerUserName)
	if err != nil {
		return nil, fmt.Errorf("nginx: the workers' user: %w", err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("nginx: the group of user %s: %w", workerUserName, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("nginx: the group of user %s: %w", workerUserName, err)
	}
	return &WorkerIdentity{User: u.Username, Group: g.Name, GID: gid}, nil
}

// WorkerFile is a file the workers read at request time, for the
// identity id (nil: not root).
func WorkerFile(data []byte, id *WorkerIdentity) File {
	f := File{Data: data, Mode: 0o640}
	if id != nil {
		f.Group = id.GID
	}
	return f
}
