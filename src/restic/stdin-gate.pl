#!/usr/bin/perl
# The program restic runs as its --stdin-from-command: it copies the agent's data FIFO to restic and
# exits 0 only once the agent has confirmed the commit with the byte count and exactly that many bytes
# arrived. If the agent dies mid-stream (SIGKILL, OOM, docker stop past its grace), both FIFOs reach
# EOF without a confirmation: the gate exits 1 and restic saves no snapshot.
#
# Perl (perl-base is part of every Debian system, the image's base included) rather than a second
# Node.js process: it copies a gigabyte with a fraction of the CPU time and starts in milliseconds
# with a few megabytes. It also grows both pipes to 1 MiB (F_SETPIPE_SZ): fewer, larger copies.
use strict;
use warnings;
use Fcntl qw(O_RDONLY O_NONBLOCK);
my ($data_path, $control_path) = @ARGV;
sub refuse {
  print STDERR "backup-agent stdin gate: $_[0]: refusing the snapshot\n";
  exit 1;
}
defined $control_path or refuse("usage: DATA_FIFO CONTROL_FIFO");
# Non-blocking opens: if the agent is already gone there is no writer, and reads end at once.
sysopen(my $data, $data_path, O_RDONLY | O_NONBLOCK) or refuse("opening the data failed ($!)");
sysopen(my $control, $control_path, O_RDONLY | O_NONBLOCK) or refuse("opening the control failed ($!)");
# F_SETPIPE_SZ (1031): larger pipes, fewer copies. Refused above /proc/sys/fs/pipe-max-size: ignored.
fcntl($data, 1031, 1 << 20);
fcntl(STDOUT, 1031, 1 << 20);
$SIG{PIPE} = "IGNORE";
# restic starts the gate once it holds its lock and has loaded the index: the agent waits for this.
print STDERR "backup-agent stdin gate: ready\n";
my ($received, $expected, $said, $buffer) = (0, undef, "", "");
# Reads first, then waits: a FIFO whose writer went away before this opened it never wakes select()
# (Linux signals hang-up only to readers that saw a writer), but a read answers EOF at once.
while (!defined $expected || $received < $expected) {
  my $moved = 0;
  my $got = sysread($data, $buffer, 1 << 20);
  if (!defined $got) {
    refuse("reading the data failed ($!)") unless $!{EAGAIN} || $!{EINTR};
  } else {
    refuse("the data ended after $received bytes without a commit") if $got == 0;
    $moved = 1;
    $received += $got;
    refuse("$received bytes arrived but the agent committed $expected") if defined $expected && $received > $expected;
    for (my $done = 0; $done < $got;) {
      my $wrote = syswrite(STDOUT, $buffer, $got - $done, $done);
      if (!defined $wrote) {
        next if $!{EINTR};
        refuse("writing to restic failed ($!)");
      }
      $done += $wrote;
    }
  }
  if (!defined $expected) {
    my $heard = sysread($control, my $text, 128);
    if (!defined $heard) {
      refuse("reading the control failed ($!)") unless $!{EAGAIN} || $!{EINTR};
    } else {
      refuse("the agent went away after $received bytes without a commit") if $heard == 0;
      $moved = 1;
      $said .= $text;
      if ($said =~ /\Acommit (\d+)\n/) {
        $expected = $1;
        refuse("$received bytes arrived but the agent committed $expected") if $received > $expected;
      } elsif ($said =~ /\n/ || length($said) > 64) {
        my $shown = substr($said, 0, 64);
        $shown =~ s/[^\x20-\x7e]/?/g;
        refuse("unexpected message from the agent: \"$shown\"");
      }
    }
  }
  next if $moved;
  my $wanted = "";
  vec($wanted, fileno($data), 1) = 1;
  vec($wanted, fileno($control), 1) = 1 unless defined $expected;
  my $ready = select(my $readable = $wanted, undef, undef, undef);
  refuse("waiting for the agent failed ($!)") if $ready < 0 && !$!{EINTR};
}
close(STDOUT) or refuse("closing the output failed ($!)");
exit 0;
