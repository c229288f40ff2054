-- Documents: journeys, versions, templates, segments, providers, projects and API keys as JSON.

-- name: putDocument
-- params: project, kind, id, body
INSERT INTO documents (project, kind, id, body) VALUES (?, ?, ?, ?)
ON CONFLICT (project, kind, id) DO UPDATE SET body = excluded.body;

-- name: getDocument
-- params: project, kind, id
SELECT body FROM documents WHERE project = ? AND kind = ? AND id = ?;

-- name: listDocuments
-- params: project, kind
SELECT id, body FROM documents WHERE project = ? AND kind = ? ORDER BY id;

-- name: deleteDocument
-- params: project, kind, id
DELETE FROM documents WHERE project = ? AND kind = ? AND id = ?;
