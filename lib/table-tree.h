/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AVL tree under the range table (included by table.c only).
 *
 * Nodes are keyed by range.start and carry parent pointers, so in-order
 * stepping is O(1) amortised and a caller's `const struct memrange *`
 * can point straight into its node. Insert and erase relink nodes and
 * never move a region's data between nodes: a pointer to a node stays
 * valid until that node itself is erased. Nodes are allocated and freed
 * by the caller; the tree only links them.
 */
#pragma once

#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "memrange.h"

struct node {
        struct memrange range; /* first member: callers hold &node->range */
        struct node *parent;
        struct node *child[2]; /* [0] lower addresses, [1] higher */
        int height;            /* of the subtree rooted here; a leaf is 1 */
};

static inline int tree_height(const struct node *n) {
        return n ? n->height : 0;
}

static inline void tree_update_height(struct node *n) {
        int l = tree_height(n->child[0]), r = tree_height(n->child[1]);
        n->height = 1 + (l > r ? l : r);
}

static inline void tree_replace_child(struct node **root, struct node *parent, const struct node *old,
                                      struct node *new) {
        if (!parent)
                *root = new;
        else
                parent->child[parent->child[1] == old] = new;
}

/* Lifts x's child on side !dir into x's place; x goes down on side dir.
 * Returns the new subtree root. */
static inline struct node *tree_rotate(struct node **root, struct node *x, unsigned dir) {
        struct node *y = x->child[!dir], *inner = y->child[dir];

        x->child[!dir] = inner;
        if (inner)
                inner->parent = x;
        tree_replace_child(root, x->parent, x, y);
        y->parent = x->parent;
        y->child[dir] = x;
        x->parent = y;
        tree_update_height(x);
        tree_update_height(y);
        return y;
}

/* Restores heights and balance from @n towards the root, O(log n). Stored
 * heights above @n still describe the tree before the change, so the walk
 * stops at the first subtree whose height came out unchanged: nothing
 * above it can have moved. */
static inline void tree_rebalance_from(struct node **root, struct node *n) {
        while (n) {
                int before = n->height;
                int balance = tree_height(n->child[0]) - tree_height(n->child[1]);

                if (balance > 1 || balance < -1) {
                        unsigned heavy = balance < 0;
                        struct node *c = n->child[heavy];

                        /* At least two high, from the heights it does not track. */
                        ANALYZER_ASSUME(c != NULL);

                        /* Inner grandchild taller: straighten the zig-zag first. */
                        if (tree_height(c->child[!heavy]) > tree_height(c->child[heavy]))
                                tree_rotate(root, c, heavy);
                        n = tree_rotate(root, n, !heavy);
                } else
                        tree_update_height(n);
                if (n->height == before)
                        return;
                n = n->parent;
        }
}

/* Links @n, whose start must differ from every other node's. */
static inline void tree_insert(struct node **root, struct node *n) {
        struct node *parent = NULL, **link = root;

        while (*link) {
                parent = *link;
                link = &parent->child[n->range.start > parent->range.start];
        }
        n->parent = parent;
        n->child[0] = n->child[1] = NULL;
        n->height = 1;
        *link = n;
        tree_rebalance_from(root, parent);
}

static inline struct node *tree_extreme(struct node *n, unsigned dir) {
        if (!n)
                return NULL;
        while (n->child[dir])
                n = n->child[dir];
        return n;
}

/* Unlinks @n (the caller frees it). With two children, its in-order
 * successor takes its place. */
static inline void tree_erase(struct node **root, struct node *n) {
        struct node *fix;

        if (!n->child[0] || !n->child[1]) {
                struct node *only = n->child[0] ? n->child[0] : n->child[1];

                tree_replace_child(root, n->parent, n, only);
                if (only)
                        only->parent = n->parent;
                fix = n->parent;
        } else {
                struct node *s = tree_extreme(n->child[1], 0);

                if (s->parent == n)
                        fix = s;
                else {
                        fix = s->parent;
                        s->parent->child[0] = s->child[1];
                        if (s->child[1])
                                s->child[1]->parent = s->parent;
                        s->child[1] = n->child[1];
                        n->child[1]->parent = s;
                }
                s->child[0] = n->child[0];
                n->child[0]->parent = s;
                tree_replace_child(root, n->parent, n, s);
                s->parent = n->parent;
                s->height = n->height;
        }
        tree_rebalance_from(root, fix);
}

/* In-order neighbour: dir 1 = next, 0 = previous. */
static inline struct node *tree_step(struct node *n, unsigned dir) {
        if (n->child[dir])
                return tree_extreme(n->child[dir], !dir);
        while (n->parent && n == n->parent->child[dir])
                n = n->parent;
        return n->parent;
}

/* First node whose end is above @addr. Regions never overlap, so ends are
 * sorted like starts and one descent finds it. */
static inline struct node *tree_lower_bound(struct node *root, uint64_t addr) {
        struct node *best = NULL;

        while (root) {
                if (root->range.end > addr) {
                        best = root;
                        root = root->child[0];
                } else
                        root = root->child[1];
        }
        return best;
}

/* Frees every node of the subtree (recursion depth is the tree height). */
/* NOLINTNEXTLINE(misc-no-recursion): as deep as the AVL tree, O(log n). */
static inline void tree_free_all(struct node *n) {
        if (!n)
                return;
        tree_free_all(n->child[0]);
        tree_free_all(n->child[1]);
        free(n);
}
