package authgatecli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// ldflagsVersion is authgate's version when the build has no VCS
// information, as in the Dockerfile, whose build context leaves out .git:
//
//	go build -ldflags "-X github.com/authgate/authgate/cmd/authgatecli.ldflagsVersion=v1.2.3" ./cmd/caddy
var ldflagsVersion string

// versionCommand prints authgate's own version. Caddy's `caddy version`
// and `caddy list-modules --versions` cannot: authgate is the main module
// of the binary, which they show as "(devel)" or leave out. Caddy's version
// is left untouched.
func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Prints authgate's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "authgate", authgateVersion(info, ldflagsVersion))
			return err
		},
	}
}

// authgateVersion names the build: the main module's version when Go
// recorded one (a tag or a pseudo-version), else the VCS revision (with
// "+dirty" for uncommitted changes), else the -ldflags -X value, else
// "unknown".
func authgateVersion(info *debug.BuildInfo, fromLdflags string) string {
	if info != nil {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		var rev, dirty string
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "+dirty"
			}
		}
		if rev != "" {
			return rev + dirty
		}
	}
	if fromLdflags != "" {
		return fromLdflags
	}
	return "unknown"
}
