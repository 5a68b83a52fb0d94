/* ctl.h - `trader ctl`: the operator's client of a running trader. */
#ifndef TRADER_APP_CTL_H
#define TRADER_APP_CTL_H

/* argv after "ctl". Prints JSON on stdout; returns the exit code. */
int ctl_main(int argc, char **argv);

#endif
