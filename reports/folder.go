package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// markerName is the file in every report folder that lists what Faultline
// wrote there, so that a later run knows which files it may replace.
const markerName = ".faultline-report"

// ErrForeignFiles is returned by OpenFolder for a folder that holds files
// Faultline did not write.
var ErrForeignFiles = errors.New("holds files Faultline did not write")

// Folder is a report folder being written. Everything goes into a fresh
// temporary folder beside the destination (Dir); Commit moves it into
// place, replacing the files of an earlier report, and Abort removes it.
// While a Folder is open it holds a lock, so two runs never write into one
// destination; a run killed before Commit leaves the destination as it was
// (its temporary folder is removed by the next run into the same place).
type Folder struct {
	dest, tmp string
	force     bool
	foreign   bool // dest holds files Faultline did not write (only with force)
	unlock    func()
	done      bool
}

// OpenFolder prepares to write a report into dest. dest may be missing,
// empty, or a folder an earlier report was written to; any other folder is
// refused with ErrForeignFiles unless force is set, and then only the
// report's own files in it are replaced and the others are left alone.
// dest must not be a symbolic link.
func OpenFolder(dest string, force bool) (*Folder, error) {
	dest = filepath.Clean(dest)
	parent, base := filepath.Split(dest)
	if base == "" || base == "." || base == ".." || dest == string(filepath.Separator) {
		return nil, fmt.Errorf("report folder %q: name a folder of its own, e.g. out/%s", dest, "my-run")
	}
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("report folder: %w", err)
	}
	foreign, err := inspect(dest)
	if err != nil {
		return nil, err
	}
	if len(foreign) > 0 && !force {
		return nil, fmt.Errorf("report folder %s %w (%s); choose a new or empty folder, one an earlier report was written to, or add -force to write beside them", dest, ErrForeignFiles, sample(foreign))
	}
	unlock, err := lock(filepath.Join(parent, "."+base+".lock"))
	if err != nil {
		return nil, fmt.Errorf("report folder %s: %w", dest, err)
	}
	removeLeftovers(parent, base)
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		unlock()
		return nil, fmt.Errorf("report folder: %w", err)
	}
	return &Folder{dest: dest, tmp: tmp, force: force, foreign: len(foreign) > 0, unlock: unlock}, nil
}

// inspect returns the entries of dest that no earlier report listed as its
// own; a missing dest has none.
func inspect(dest string) ([]string, error) {
	fi, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report folder: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("report folder %s is a symbolic link; name the folder itself", dest)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("report folder %s is a file, not a folder", dest)
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		return nil, fmt.Errorf("report folder: %w", err)
	}
	own := ownFiles(dest)
	var foreign []string
	for _, e := range entries {
		if e.Name() != markerName && !own[e.Name()] {
			foreign = append(foreign, e.Name())
		}
	}
	return foreign, nil
}

// ownFiles reads the marker of an earlier report in dir.
func ownFiles(dir string) map[string]bool {
	own := map[string]bool{}
	f, err := os.Open(filepath.Join(dir, markerName))
	if err != nil {
		return own
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name := sc.Text(); name != "" && !strings.HasPrefix(name, "#") && filepath.Base(name) == name {
			own[name] = true
		}
	}
	return own
}

func sample(names []string) string {
	slices.Sort(names)
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// removeLeftovers removes the temporary folders of runs into the same
// place that were killed before they could clean up; the caller holds the
// lock, so none of them is still being written.
func removeLeftovers(parent, base string) {
	for _, pattern := range []string{".tmp-*", ".old-*"} {
		matches, _ := filepath.Glob(filepath.Join(parent, "."+base+pattern))
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
}

// Dir is where the report's files are written until Commit.
func (f *Folder) Dir() string { return f.tmp }

// Path is the destination.
func (f *Folder) Path() string { return f.dest }

// Commit moves the finished report into place. A destination that only an
// earlier report wrote is replaced as a whole, so no file of that report
// stays behind; with force, the report's files replace their namesakes
// and the earlier report's other files, and nothing else, are removed.
func (f *Folder) Commit() error {
	if f.done {
		return errors.New("report folder: already committed or aborted")
	}
	if err := f.writeMarker(); err != nil {
		f.Abort()
		return err
	}
	var err error
	if f.foreign {
		err = f.mergeInto()
	} else {
		err = f.replace()
	}
	if err != nil {
		f.Abort()
		return fmt.Errorf("report folder %s: %w", f.dest, err)
	}
	f.done = true
	f.unlock()
	return nil
}

func (f *Folder) writeMarker() error {
	entries, err := os.ReadDir(f.tmp)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Files written by Faultline; a later report into this folder replaces them.\n")
	for _, e := range entries {
		b.WriteString(e.Name() + "\n")
	}
	return os.WriteFile(filepath.Join(f.tmp, markerName), []byte(b.String()), 0o644)
}

// replace swaps the whole folder: the old one is moved aside first, so a
// failure between the two renames can be undone.
func (f *Folder) replace() error {
	if _, err := os.Lstat(f.dest); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(f.tmp, f.dest)
	}
	parent, base := filepath.Split(f.dest)
	old, err := os.MkdirTemp(parent, "."+base+".old-")
	if err != nil {
		return err
	}
	os.Remove(old) // only its unique name is needed
	if err := os.Rename(f.dest, old); err != nil {
		return err
	}
	if err := os.Rename(f.tmp, f.dest); err != nil {
		os.Rename(old, f.dest)
		return err
	}
	return os.RemoveAll(old)
}

// mergeInto moves the report's entries into a folder that also holds
// files of others, after removing the earlier report's own entries.
func (f *Folder) mergeInto() error {
	for name := range ownFiles(f.dest) {
		if err := os.RemoveAll(filepath.Join(f.dest, name)); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(f.tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		target := filepath.Join(f.dest, e.Name())
		if fi, err := os.Lstat(target); err == nil && fi.IsDir() && e.Name() != markerName {
			return fmt.Errorf("%s is a folder Faultline did not write; it would be replaced by the report's %s", target, e.Name())
		}
		// Rename replaces a file or a symbolic link itself, never what a
		// link points to.
		if err := os.Rename(filepath.Join(f.tmp, e.Name()), target); err != nil {
			return err
		}
	}
	return os.RemoveAll(f.tmp)
}

// Abort removes the temporary folder and releases the lock; the
// destination is left as it was. It is safe to call after Commit.
func (f *Folder) Abort() {
	if f.done {
		return
	}
	f.done = true
	os.RemoveAll(f.tmp)
	f.unlock()
}
