// CoreDNS with only the plugins the bundled node's Corefile uses (scripts/lib/node.sh): the release's default
// plugin set links cloud SDKs (route53, azure, clouddns) and tracers the node never loads, and compiling them was
// most of this group's cold build. Built by scripts/toolchain/node.sh in a wrapper module pinned to the release.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

// In the order of the release's plugin.cfg: a plugin sees the requests that those before it pass on.
var directives = []string{"bind", "errors", "cache", "kubernetes"}

func main() {
	if err := dnsserver.SetDirectives(directives); err != nil {
		panic(err)
	}
	coremain.Run()
}
