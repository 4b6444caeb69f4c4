package reconcile

import (
	"context"
	"log/slog"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// electionConfig names the Lease and its timings.
type electionConfig struct {
	namespace, name, identity string
	lease, renew, retry       time.Duration
}

// runElection campaigns for the Lease and runs lead while this replica
// leads. Unlike controller-runtime's manager, losing the lease (say, the
// apiserver is unreachable for a while) does not stop the process: every
// replica keeps serving traffic, only status writing pauses until the lease
// is won again.
func runElection(ctx context.Context, cs kubernetes.Interface, c electionConfig, log *slog.Logger, lead func(context.Context)) {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: c.namespace, Name: c.name},
		Client:     cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: c.identity},
	}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   c.lease,
			RenewDeadline:   c.renew,
			RetryPeriod:     c.retry,
			ReleaseOnCancel: true, // hand over at once on shutdown
			Name:            c.name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					log.Info("became the leader: writing Ingress status", "lease", c.namespace+"/"+c.name, "identity", c.identity)
					lead(ctx)
				},
				OnStoppedLeading: func() { log.Info("not the leader any more", "identity", c.identity) },
			},
		})
		if err != nil {
			log.Error("leader election misconfigured; status will not be written", "err", err)
			return
		}
		le.Run(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(c.retry):
		}
	}
}
