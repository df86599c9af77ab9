package reports

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func commitFolder(t *testing.T, dest string, force bool, files ...string) error {
	t.Helper()
	f, err := OpenFolder(dest, force)
	if err != nil {
		return err
	}
	for _, name := range files {
		require.NoError(t, os.WriteFile(filepath.Join(f.Dir(), name), []byte(name), 0o644))
	}
	return f.Commit()
}

func TestFolderNewAndReplaced(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "out", "partition")
	require.NoError(t, commitFolder(t, dest, false, "index.html", "porcupine-seed3.html"))
	assert.Equal(t, []string{markerName, "index.html", "porcupine-seed3.html"}, names(t, dest))

	// A second run with fewer seeds leaves no file of the first behind.
	require.NoError(t, commitFolder(t, dest, false, "index.html"))
	assert.Equal(t, []string{markerName, "index.html"}, names(t, dest))
	assert.Equal(t, []string{"partition"}, names(t, filepath.Join(root, "out")), "no temporary folder or lock left beside it")
}

func TestFolderRefusesForeignFiles(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dest, "thesis.tex"), []byte("mine"), 0o644))
	err := commitFolder(t, dest, false, "index.html")
	require.ErrorIs(t, err, ErrForeignFiles)
	assert.Contains(t, err.Error(), "thesis.tex")
	assert.Equal(t, []string{"thesis.tex"}, names(t, dest))
	assert.Equal(t, []string{filepath.Base(dest)}, names(t, filepath.Dir(dest)), "nothing written beside it")
}

func TestFolderForceKeepsOthersFiles(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dest, "thesis.tex"), []byte("mine"), 0o644))
	require.NoError(t, commitFolder(t, dest, true, "index.html", "old.png"))
	require.NoError(t, commitFolder(t, dest, true, "index.html"))
	assert.Equal(t, []string{markerName, "index.html", "thesis.tex"}, names(t, dest))
	b, err := os.ReadFile(filepath.Join(dest, "thesis.tex"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b))
}

func TestFolderRefusesRootAndSymlinks(t *testing.T) {
	_, err := OpenFolder("/", false)
	require.Error(t, err)
	_, err = OpenFolder("/", true)
	require.Error(t, err, "even with force")

	root := t.TempDir()
	target := filepath.Join(root, "target")
	require.NoError(t, os.Mkdir(target, 0o755))
	link := filepath.Join(root, "link")
	require.NoError(t, os.Symlink(target, link))
	_, err = OpenFolder(link, false)
	require.ErrorContains(t, err, "symbolic link")
	assert.Empty(t, names(t, target))
}

func TestFolderForceNeverFollowsALink(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "dest")
	require.NoError(t, os.Mkdir(dest, 0o755))
	victim := filepath.Join(root, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	require.NoError(t, os.Symlink(victim, filepath.Join(dest, "index.html")))
	require.NoError(t, commitFolder(t, dest, true, "index.html"))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b), "the link was replaced, not written through")
}

func TestFolderLockAndAbort(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "r")
	require.NoError(t, commitFolder(t, dest, false, "index.html"))

	first, err := OpenFolder(dest, false)
	require.NoError(t, err)
	_, err = OpenFolder(dest, false)
	require.ErrorContains(t, err, "another simulate")
	require.NoError(t, os.WriteFile(filepath.Join(first.Dir(), "half.png"), nil, 0o644))
	first.Abort()
	assert.Equal(t, []string{markerName, "index.html"}, names(t, dest), "an aborted run leaves the earlier report as it was")
	assert.Equal(t, []string{"r"}, names(t, root))

	// A run killed before it could clean up leaves a temporary folder; the
	// next run into the same place removes it.
	require.NoError(t, os.Mkdir(filepath.Join(root, ".r.tmp-123"), 0o755))
	require.NoError(t, commitFolder(t, dest, false, "index.html"))
	assert.Equal(t, []string{"r"}, names(t, root))
}
