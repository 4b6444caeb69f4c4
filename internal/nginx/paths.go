package nginx

import (
	"path/filepath"
)

// Paths are the absolute locations inside Options.Dir that the supervisor
// owns. The renderer prints them into nginx.conf so that `nginx -t`, the
// running master and the supervisor all agree on where things live:
//
//	pid             Paths.PIDFile;
//	error_log       Paths.ErrorLog <level>;
//	client_body_temp_path Paths.TempDir/client_body;  (likewise proxy, fastcgi, uwsgi, scgi)
//
// The supervisor passes `-g "daemon off;"` on the command line, so the
// config must not contain a `daemon` directive (nginx rejects duplicates).
type Paths struct {
	// Dir is the runtime prefix (nginx's -p) and the root of managed files.
	Dir string
	// Config is the active configuration nginx is started and reloaded with.
	Config string
	// Candidate is where a new configuration waits while `nginx -t` checks
	// it. After a rejection it stays there, so nginx's "in FILE:LINE"
	// messages point at the text that failed.
	Candidate string
	// PIDFile must be the config's `pid`: without a StatusURL the supervisor
	// treats nginx as started once this file holds the master's PID.
	PIDFile string
	// LogDir holds ErrorLog (and an access log if the renderer wants one).
	LogDir string
	// ErrorLog must be the config's `error_log`: after a failed reload the
	// supervisor quotes its new [emerg]/[alert] lines in the error.
	ErrorLog string
	// TempDir is the parent of the *_temp_path directories. The supervisor
	// creates it (0755) so `nginx -t` passes; nginx creates the subdirectories
	// itself and hands them to its worker user.
	TempDir string
	// EndpointsFile holds the last endpoint table (see SetEndpoints); nginx
	// loads it at every start and reload, so a restarted nginx has endpoints.
	EndpointsFile string
	// ControlSocket is the unix socket nginx listens on for endpoint
	// updates. Its directory is 0700: only our user can connect.
	ControlSocket string
	// SinkDir holds the unix sockets of nginx's own internal servers: the
	// 503 servers, to which the balancer sends requests for upstreams
	// without endpoints, and with --enable-ssl-passthrough the TLS and
	// passthrough hops of the stream front. Unlike the control directory
	// it is 0755: workers connect to these as clients.
	SinkDir string
}

// Names inside Dir that belong to the supervisor; Candidate.Files may not use them.
const (
	configName    = "nginx.conf"
	candidateName = "nginx.conf.candidate"
	pidName       = "nginx.pid"
	logDirName    = "logs"
	tempDirName   = "tmp"
	endpointsName = "endpoints.txt"
	controlDir    = "control"
	sinkDir       = "sink"
	// tempPrefix starts the name of every file being written atomically.
	tempPrefix = ".atrium-"
)

// Paths returns the locations derived from o.Dir, made absolute because
// nginx resolves relative paths against its prefix, not our working directory.
func (o Options) Paths() Paths {
	dir := o.Dir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	dir = filepath.Clean(dir)
	return Paths{
		Dir:       dir,
		Config:    filepath.Join(dir, configName),
		Candidate: filepath.Join(dir, candidateName),
		PIDFile:   filepath.Join(dir, pidName),
		LogDir:    filepath.Join(dir, logDirName),
		ErrorLog:  filepath.Join(dir, logDirName, "error.log"),
		TempDir:   filepath.Join(dir, tempDirName),

		EndpointsFile: filepath.Join(dir, endpointsName),
		ControlSocket: filepath.Join(dir, controlDir, "atrium.sock"),
		SinkDir:       filepath.Join(dir, sinkDir),
	}
}
