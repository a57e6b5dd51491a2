/*
 * net_listen.h - listening sockets for the loopback metrics endpoint and
 * the feed server: parsing "host:port", opening a non-blocking listener
 * that libevent can adopt, and asking which port was bound (port 0).
 */
#ifndef GW_NET_LISTEN_H
#define GW_NET_LISTEN_H
#include <event2/util.h>
#include <netdb.h>
#include <stddef.h>

/* "host:port" or "[v6]:port" into host and port (an unbracketed host with
 * a colon is refused); 0 or -1. */
int net_split_listen(const char *listen, char *host, size_t host_size,
                     char *port, size_t port_size);

/* A bound, listening, non-blocking, close-on-exec socket on ai; -1 with
 * errno set. The caller owns the descriptor. */
evutil_socket_t net_listen_socket(const struct addrinfo *ai, int backlog);

/* The port fd is bound to, or -1. */
int net_bound_port(evutil_socket_t fd);

#endif
