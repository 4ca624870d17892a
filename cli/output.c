/* TODO(owner): being written. */
