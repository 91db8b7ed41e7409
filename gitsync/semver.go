package gitsync

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// semverRangeChars are characters git forbids in ref names (~ ^ * space) or
// that only a version range uses (< > = | ,). A ref containing one, or a
// wildcard component like "1.x", is a semver range over tags.
var (
	semverRangeChars = "~^* <>=|,"
	semverWildcard   = regexp.MustCompile(`^v?\d+(\.\d+)?\.[xX*]$|^v?\d+\.[xX*](\.[xX*])?$`)
)

// IsSemverRange reports whether ref is a semver range over tags
// (">=1.2.0 <2.0.0", "~1.4", "^2", "1.x") rather than a branch, tag or commit.
func IsSemverRange(ref string) bool {
	return strings.ContainsAny(ref, semverRangeChars) || semverWildcard.MatchString(ref)
}

// pickSemverTag returns the tag with the highest version satisfying the
// range. Tags that are not versions are skipped; a leading "v" is allowed.
// Pre-releases match only a range that names a pre-release (Masterminds
// semantics, as npm and Cargo).
func pickSemverTag(rng string, tags []string, where string) (string, error) {
	c, err := semver.NewConstraint(rng)
	if err != nil {
		return "", fmt.Errorf("ref %q is neither a branch, tag or commit nor a valid semver range (%v): write e.g. \">=1.2.0 <2.0.0\", \"~1.4\" or \"^2\"", rng, err)
	}
	var (
		best    *semver.Version
		bestTag string
		seen    int
	)
	for _, t := range tags {
		v, err := semver.NewVersion(t)
		if err != nil {
			continue
		}
		seen++
		if c.Check(v) && (best == nil || v.GreaterThan(best)) {
			best, bestTag = v, t
		}
	}
	if best == nil {
		return "", fmt.Errorf("no tag of %s satisfies the semver range %q (%d version tags): push a matching tag or widen the range", where, rng, seen)
	}
	return bestTag, nil
}
