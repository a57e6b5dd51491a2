/*
 * net_listen.c - see net_listen.h.
 */
#include "net_listen.h"
#include "text.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_split_listen(const char *listen, char *host, size_t host_size,
                     char *port, size_t port_size) {
  const char *colon;
  int64_t number;
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= host_size)
      return -1;
    memcpy(host, listen + 1, (size_t)(close - listen - 1));
    host[close - listen - 1] = '\0';
    colon = close + 1;
  } else {
    colon = strrchr(listen, ':');
    if (!colon || memchr(listen, ':', (size_t)(colon - listen)) ||
        (size_t)(colon - listen) >= host_size)
      return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
  }
  if (host[0] == '\0' || text_parse_int64(colon + 1, &number) != 0 ||
      number < 0 || number > 65535)
    return -1;
  return text_format(port, port_size, "%d", (int)number);
}

evutil_socket_t net_listen_socket(const struct addrinfo *ai, int backlog) {
  evutil_socket_t fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  int saved;
  if (fd < 0)
    return -1;
  if (evutil_make_socket_closeonexec(fd) != 0 ||
      evutil_make_socket_nonblocking(fd) != 0 ||
      evutil_make_listen_socket_reuseable(fd) != 0 ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int net_bound_port(evutil_socket_t fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
    return -1;
  if (ss.ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
  if (ss.ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
  return -1;
}
