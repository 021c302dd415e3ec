// Package datadisk says what kind of file system holds a directory, and
// whether what is written there is lost at power-off: a ledger in RAM (a
// tmpfs, or Raspberry Pi OS's Overlay File System, whose writes go to RAM)
// loses every tap since boot at the next power cut.
package datadisk

import (
	"fmt"
	"syscall"
)

// Disk is a directory's file system.
type Disk struct {
	// Name is the file system's kind ("ext4", "tmpfs", "overlay", …) or
	// its magic number when unknown.
	Name string
	// InRAM: a tmpfs or ramfs, gone at power-off.
	InRAM bool
	// Overlay: an overlay file system, whose writes may go to RAM
	// (Raspberry Pi OS's Overlay File System puts them there).
	Overlay bool
}

// Lost reports whether writes to the disk are, or may be, lost at power-off.
func (d Disk) Lost() bool { return d.InRAM || d.Overlay }

// Warning is a technician's sentence about a disk that loses writes; "" for
// one that keeps them.
func (d Disk) Warning() string {
	switch {
	case d.InRAM:
		return fmt.Sprintf("%s is in RAM: the ledger is lost at power-off; mount a partition of its own there (README: a read-only root)", d.Name)
	case d.Overlay:
		return "an overlay file system: on Raspberry Pi OS's Overlay File System its writes are in RAM and lost at power-off; mount a partition of its own there (README: a read-only root)"
	}
	return ""
}

// Magic numbers of statfs(2)'s f_type.
var kinds = map[int64]string{
	0xEF53:     "ext4", // ext2, ext3 and ext4 share it
	0x01021994: "tmpfs",
	0x858458f6: "ramfs",
	0x794c7630: "overlay",
	0x9123683E: "btrfs",
	0x58465342: "xfs",
	0xF2F52010: "f2fs",
	0x4d44:     "vfat",
	0x2011BAB0: "exfat",
	0x5346544e: "ntfs",
	0x6969:     "nfs",
	0x73717368: "squashfs",
}

// Of is the disk that holds dir.
func Of(dir string) (Disk, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return Disk{}, fmt.Errorf("datadisk: %w", err)
	}
	t := int64(st.Type)
	name, ok := kinds[t]
	if !ok {
		name = fmt.Sprintf("%#x", t)
	}
	return Disk{Name: name, InRAM: name == "tmpfs" || name == "ramfs", Overlay: name == "overlay"}, nil
}
