<?php
// A small application: counts visits in MySQL and shows which region served the page.
require __DIR__ . '/db.php';
header('Content-Type: text/html; charset=utf-8');
$region = htmlspecialchars(getenv('APP_REGION') ?: 'unknown');
try {
    $db = pilot_light_db();
    $db->exec('CREATE TABLE IF NOT EXISTS visits (id BIGINT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)');
    $db->exec('INSERT INTO visits () VALUES ()');
    $count = (int) $db->query('SELECT COUNT(*) FROM visits')->fetchColumn();
    $message = "Visit number $count.";
} catch (Throwable $e) {
    http_response_code(503);
    $message = 'The database is not available.';
}
echo "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pilot-light demo</title></head>",
     "<body><h1>pilot-light demo application</h1><p>Served from <strong>$region</strong>. $message</p></body></html>\n";
