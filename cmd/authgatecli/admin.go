package authgatecli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// adminFlags are the flags shared by the commands that call the admin API:
// where the admin endpoint is, found the way `caddy reload` finds it, and
// whether to print the server's JSON.
type adminFlags struct {
	address, config, adapter string
	json                     bool
	timeout                  time.Duration
}

func (f *adminFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.address, "address", "", "admin endpoint address (default: the --config's, else Caddy's default localhost:2019)")
	c.Flags().StringVarP(&f.config, "config", "c", "", "config file to read the admin endpoint address from")
	c.Flags().StringVarP(&f.adapter, "adapter", "a", "", "name of the config adapter to use with --config")
	c.Flags().BoolVar(&f.json, "json", false, "print the admin API's JSON answer")
	c.Flags().DurationVar(&f.timeout, "timeout", defaultAdminTimeout, "give up when the admin endpoint has not answered within this time")
}

// call sends one admin API request (see adminRequest) to the endpoint the
// flags name. A status of 400 or more is an error holding the server's
// message.
func (f *adminFlags) call(method, uri string, body any) ([]byte, error) {
	addr, err := caddycmd.DetermineAdminAPIAddress(f.address, nil, f.config, f.adapter)
	if err != nil {
		return nil, fmt.Errorf("finding the admin endpoint: %w", err)
	}
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	}
	return adminRequest(addr, method, uri, r, 16<<20, f.timeout)
}

// printJSON writes the admin API's answer indented.
func printJSON(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

func sessionsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "sessions list --user <id> | revoke <session id> | revoke --user <id>",
		Short: "Lists and revokes edge sessions through the admin API",
	}
	c.AddCommand(sessionsListCommand(), sessionsRevokeCommand())
	return c
}

func sessionsListCommand() *cobra.Command {
	var f adminFlags
	var user string
	c := &cobra.Command{
		Use:   "list --user <id>",
		Short: "Lists a user's live sessions (ids and times, never tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return errors.New("--user is required")
			}
			data, err := f.call(http.MethodGet, "/authgate/sessions?user_id="+url.QueryEscape(user), nil)
			if err != nil {
				return err
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), data)
			}
			var list struct {
				Sessions []struct {
					ID       string `json:"session_id"`
					User     string `json:"user_id"`
					Created  string `json:"created_at"`
					LastSeen string `json:"last_seen_at"`
					Expires  string `json:"expires_at"`
				} `json:"sessions"`
			}
			if err := json.Unmarshal(data, &list); err != nil {
				return fmt.Errorf("reading the admin API's answer: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SESSION ID\tUSER\tCREATED\tLAST SEEN\tEXPIRES")
			for _, s := range list.Sessions {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, strconv.Quote(s.User), s.Created, s.LastSeen, s.Expires)
			}
			return tw.Flush()
		},
	}
	f.add(c)
	c.Flags().StringVar(&user, "user", "", "the user id whose sessions to list (required)")
	return c
}

func sessionsRevokeCommand() *cobra.Command {
	var f adminFlags
	var user string
	c := &cobra.Command{
		Use:   "revoke <session id> | --user <id>",
		Short: "Revokes one session, or every session of a user",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (user != "") {
				return errors.New("give either a session id or --user")
			}
			out := cmd.OutOrStdout()
			if user != "" {
				data, err := f.call(http.MethodDelete, "/authgate/sessions?user_id="+url.QueryEscape(user), nil)
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(out, data)
				}
				var res struct {
					Revoked int `json:"revoked"`
				}
				if err := json.Unmarshal(data, &res); err != nil {
					return fmt.Errorf("reading the admin API's answer: %w", err)
				}
				_, err = fmt.Fprintf(out, "revoked %d session(s) of user %q\n", res.Revoked, user)
				return err
			}
			data, err := f.call(http.MethodDelete, "/authgate/sessions/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			if f.json {
				return printJSON(out, data)
			}
			_, err = fmt.Fprintf(out, "revoked session %s\n", args[0])
			return err
		},
	}
	f.add(c)
	c.Flags().StringVar(&user, "user", "", "revoke every session of this user id")
	return c
}

func revokeCommand() *cobra.Command {
	var f adminFlags
	var jti, iss, sub, until string
	var lifetime time.Duration
	c := &cobra.Command{
		Use:   "revoke --jti <jti> [--iss <issuer>] | --sub <subject> [--until <time> | --for <duration>]",
		Short: "Deny-lists identity-provider JWTs by jti or subject through the admin API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (jti == "") == (sub == "") {
				return errors.New("give exactly one of --jti and --sub")
			}
			if iss != "" && jti == "" {
				return errors.New("--iss goes with --jti only")
			}
			if until != "" && cmd.Flags().Changed("for") {
				return errors.New("give --until or --for, not both")
			}
			if until == "" {
				if lifetime <= 0 {
					return errors.New("--for must be positive")
				}
				until = time.Now().Add(lifetime).UTC().Format(time.RFC3339)
			}
			body := map[string]string{"until": until}
			for k, v := range map[string]string{"jti": jti, "iss": iss, "sub": sub} {
				if v != "" {
					body[k] = v
				}
			}
			data, err := f.call(http.MethodPost, "/authgate/revocations", body)
			if err != nil {
				return err
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), data)
			}
			var res struct {
				Revoked int    `json:"revoked_sessions"`
				Until   string `json:"until"`
			}
			if err := json.Unmarshal(data, &res); err != nil {
				return fmt.Errorf("reading the admin API's answer: %w", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "deny-listed until %s; %d session(s) revoked\n", res.Until, res.Revoked)
			return err
		},
	}
	f.add(c)
	c.Flags().StringVar(&jti, "jti", "", "deny-list the tokens with this jti (of every issuer, or of --iss)")
	c.Flags().StringVar(&iss, "iss", "", "with --jti: only the token of this issuer")
	c.Flags().StringVar(&sub, "sub", "", "deny-list every token of this subject issued until now, and end its sessions")
	c.Flags().StringVar(&until, "until", "", "keep the entry until this RFC 3339 time (when the tokens expire anyway)")
	c.Flags().DurationVar(&lifetime, "for", 24*time.Hour, "keep the entry this long, when --until is not given")
	return c
}
